<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Unit;

use PHPUnit\Framework\TestCase;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Internal\Signature;
use SkypeBus\Type\Byte;
use SkypeBus\Type\Variant;

final class SignatureTest extends TestCase
{
    /**
     * @return array<string, array{0: string, 1: list<string>}>
     */
    public function validSignatures(): array
    {
        return [
            'empty' => ['', []],
            'basic' => ['ybnqiuxtdsogh', ['y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd', 's', 'o', 'g', 'h']],
            'notify' => ['susssasa{sv}i', ['s', 'u', 's', 's', 's', 'as', 'a{sv}', 'i']],
            'nested' => ['a(ia{s(vv)})aay', ['a(ia{s(vv)})', 'aay']],
            'struct' => ['(iu)', ['(iu)']],
            'dict of dicts' => ['a{sa{sv}}', ['a{sa{sv}}']],
            'deep arrays' => [str_repeat('a', 32) . 'y', [str_repeat('a', 32) . 'y']],
        ];
    }

    /**
     * @dataProvider validSignatures
     * @param list<string> $types
     */
    public function testSplitsIntoCompleteTypes(string $signature, array $types): void
    {
        self::assertSame($types, Signature::split($signature));
    }

    /**
     * @return array<string, array{0: string}>
     */
    public function invalidSignatures(): array
    {
        return [
            'unknown code' => ['z'],
            'lone array' => ['a'],
            'dict outside array' => ['{sv}'],
            'dict key not basic' => ['a{vs}'],
            'dict three types' => ['a{sss}'],
            'dict one type' => ['a{s}'],
            'empty struct' => ['()'],
            'unclosed struct' => ['(ii'],
            'stray close' => ['i)'],
            'too deep arrays' => [str_repeat('a', 33) . 'y'],
            'too deep structs' => [str_repeat('(', 33) . 'y' . str_repeat(')', 33)],
            'too long' => [str_repeat('i', 256)],
        ];
    }

    /**
     * @dataProvider invalidSignatures
     */
    public function testRefusesInvalidSignatures(string $signature): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage('Invalid D-Bus signature');
        Signature::split($signature);
    }

    public function testSingleCompleteType(): void
    {
        Signature::assertSingleCompleteType('a{sv}');
        foreach (['si', '', 'a{'] as $notOne) {
            try {
                Signature::assertSingleCompleteType($notOne);
                self::fail("accepted \"$notOne\"");
            } catch (InvalidArgumentException $e) {
                self::assertSame('net.skypebus.Error.InvalidSignature', $e->getErrorName());
            }
        }
        self::assertSame(['i', 's', 'v'], Signature::structMembers('(isv)'));
        self::assertSame(['s', 'a{sv}'], Signature::dictEntry('a{sa{sv}}'));
    }

    /**
     * @return array<string, array{0: mixed, 1: string}>
     */
    public function inferred(): array
    {
        return [
            'string' => ['x', 's'],
            'bool' => [true, 'b'],
            'small int' => [-5, 'i'],
            'int32 max' => [2147483647, 'i'],
            'int above int32' => [2147483648, 'x'],
            'int64 min' => [PHP_INT_MIN, 'x'],
            'float' => [1.5, 'd'],
            'typed' => [new Byte(1), 'y'],
            'variant' => [new Variant('u', 1), 'u'],
            'empty array' => [[], 'av'],
            'list of strings' => [['a', 'b'], 'as'],
            'list of lists' => [[[1], [2]], 'aai'],
            'assoc' => [['a' => 1], 'a{sv}'],
            'object' => [new \stdClass(), 'a{sv}'],
        ];
    }

    /**
     * @dataProvider inferred
     * @param mixed $value
     */
    public function testInfersTheDocumentedTypes($value, string $signature): void
    {
        self::assertSame($signature, Signature::infer($value));
    }

    public function testInferenceRefusesAmbiguousValues(): void
    {
        foreach ([null, [1, 'a'], [1, 2147483648], fopen('php://memory', 'r')] as $value) {
            try {
                Signature::infer($value);
                self::fail('inferred a type for ' . var_export($value, true));
            } catch (InvalidArgumentException $e) {
                self::assertSame('net.skypebus.Error.TypeMismatch', $e->getErrorName());
            }
        }
    }
}
