<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Unit;

use PHPUnit\Framework\TestCase;
use SkypeBus\Internal\BodyPacker;
use SkypeBus\Internal\Signature;
use SkypeBus\Type\Bytes;
use SkypeBus\Type\Int32;

/**
 * The bodies BodyPacker writes, byte for byte as the D-Bus specification lays them out (little
 * endian, each value aligned to its size from the start of the body), and the arguments it
 * leaves to the JSON path. Pure PHP (also runs on PHP 7.4); the integration test
 * PackedCallsTest sends them to a peer.
 */
final class BodyPackerTest extends TestCase
{
    /**
     * @return array<string, array{0: string, 1: list<mixed>, 2: string}>
     */
    public function bodies(): array
    {
        return [
            'y' => ['y', [255], "\xff"],
            'b' => ['b', [true], "\x01\x00\x00\x00"],
            'n' => ['n', [-2], "\xfe\xff"],
            'q' => ['q', [0x1234], "\x34\x12"],
            'i' => ['i', [-1], "\xff\xff\xff\xff"],
            'u' => ['u', [0x01020304], "\x04\x03\x02\x01"],
            'x' => ['x', [PHP_INT_MIN], "\x00\x00\x00\x00\x00\x00\x00\x80"],
            't' => ['t', [1], "\x01\x00\x00\x00\x00\x00\x00\x00"],
            'd' => ['d', [1.0], "\x00\x00\x00\x00\x00\x00\xf0\x3f"],
            'd minus zero' => ['d', [-0.0], "\x00\x00\x00\x00\x00\x00\x00\x80"],
            's' => ['s', ['hé'], "\x03\x00\x00\x00h\xc3\xa9\x00"],
            'o' => ['o', ['/a'], "\x02\x00\x00\x00/a\x00"],
            'g' => ['g', ['ai'], "\x02ai\x00"],
            'ay' => ['ay', ["\x00\x01"], "\x02\x00\x00\x00\x00\x01"],
            'ay Bytes' => ['ay', [new Bytes('z')], "\x01\x00\x00\x00z"],
            'an' => ['an', [[1, -1]], "\x04\x00\x00\x00\x01\x00\xff\xff"],
            'ab' => ['ab', [[false, true]], "\x08\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00"],
            // The elements of an array of 8-byte values start 8-aligned: 4 bytes of padding.
            'ax' => ['ax', [[2]], "\x08\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00"],
            'ax empty' => ['ax', [[]], "\x00\x00\x00\x00\x00\x00\x00\x00"],
            'ai empty' => ['ai', [[]], "\x00\x00\x00\x00"],
            'ad' => ['ad', [[0.5]], "\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xe0\x3f"],
            // Each string of an array starts 4-aligned; the length counts the padding between them.
            'as' => ['as', [['a', 'bc']], "\x0f\x00\x00\x00\x01\x00\x00\x00a\x00\x00\x00\x02\x00\x00\x00bc\x00"],
            'ag' => ['ag', [['i', '']], "\x05\x00\x00\x00\x01i\x00\x00\x00"],
            'y then u' => ['yu', [1, 2], "\x01\x00\x00\x00\x02\x00\x00\x00"],
            'y then t' => ['yt', [1, 2], "\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00"],
            'y then ax' => ['yax', [1, [3]], "\x01\x00\x00\x00\x08\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00"],
            'q then as' => ['qas', [7, ['x']], "\x07\x00\x00\x00\x06\x00\x00\x00\x01\x00\x00\x00x\x00"],
            'none' => ['', [], ''],
        ];
    }

    /**
     * @dataProvider bodies
     * @param list<mixed> $args
     */
    public function testBodiesAreLaidOutAsTheSpecificationSays(string $signature, array $args, string $body): void
    {
        $types = Signature::split($signature);
        self::assertTrue(BodyPacker::packable($types));
        self::assertSame(bin2hex($body), bin2hex((string) BodyPacker::pack($types, $args)));
    }

    /**
     * @return array<string, array{0: string, 1: list<mixed>}>
     */
    public function leftToJson(): array
    {
        return [
            'numeric string' => ['i', ['1']],
            'float for an integer' => ['x', [1.0]],
            'int for a double' => ['d', [1]],
            'NAN' => ['d', [NAN]],
            '-INF' => ['d', [-INF]],
            'bool for an integer' => ['u', [false]],
            'int for a bool' => ['b', [0]],
            'below y' => ['y', [-1]],
            'above q' => ['q', [65536]],
            'above u' => ['u', [4294967296]],
            'below i' => ['i', [-2147483649]],
            'negative t' => ['t', [-1]],
            'null' => ['s', [null]],
            'int for a string' => ['o', [1]],
            'long signature' => ['g', [str_repeat('i', 256)]],
            'typed value' => ['i', [new Int32(1)]],
            'array for ay' => ['ay', [[1]]],
            'string for ai' => ['ai', ['abc']],
            'string in an' => ['an', [[1, '2']]],
            'out of range in ay-like aq' => ['aq', [[-1]]],
            'bool in ab of ints' => ['ab', [[1]]],
            'int in ad' => ['ad', [[1]]],
            'NAN in ad' => ['ad', [[NAN]]],
            'int in as' => ['as', [[1]]],
            'not a list' => ['ai', [[1 => 1]]],
        ];
    }

    /**
     * @dataProvider leftToJson
     * @param list<mixed> $args
     */
    public function testWhatTheJsonPathTakesDifferentlyIsLeftToIt(string $signature, array $args): void
    {
        self::assertNull(BodyPacker::pack(Signature::split($signature), $args));
    }

    public function testOnlySimpleTypesArePackable(): void
    {
        foreach (['v', 'h', 'a{sv}', '(ii)', 'aay', 'av', 'ah', 'a(ii)'] as $type) {
            self::assertFalse(BodyPacker::packable([$type]), $type);
        }
        self::assertTrue(BodyPacker::packable(Signature::split('ybnqiuxtdsogayabanaqaiauaxatadasaoag')));
    }
}
