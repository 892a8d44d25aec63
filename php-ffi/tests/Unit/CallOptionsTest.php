<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Unit;

use PHPUnit\Framework\TestCase;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Internal\CallOptions;

final class CallOptionsTest extends TestCase
{
    public function testDefaults(): void
    {
        $options = CallOptions::fromArray([]);
        self::assertNull($options->timeoutMs);
        self::assertFalse($options->typedVariants);
        self::assertFalse($options->noReply);
    }

    public function testKnownOptions(): void
    {
        $options = CallOptions::fromArray(['timeout' => 0.25, 'variants' => 'typed', 'noReply' => true]);
        self::assertSame(250, $options->timeoutMs);
        self::assertTrue($options->typedVariants);
        self::assertTrue($options->noReply);
        self::assertSame(3000, CallOptions::fromArray(['timeout' => 3])->timeoutMs);
        self::assertSame(1, CallOptions::fromArray(['timeout' => 0.0001])->timeoutMs, 'rounded up, never 0 (the default)');
        self::assertNull(CallOptions::fromArray(['timeout' => null])->timeoutMs);
        self::assertFalse(CallOptions::fromArray(['variants' => 'plain'])->typedVariants);
    }

    /**
     * @return array<string, array{0: array<string, mixed>, 1: string}>
     */
    public function invalidOptions(): array
    {
        return [
            'unknown key' => [['timeout_ms' => 5], 'Unknown call option "timeout_ms"; the options are: timeout, variants, noReply'],
            'case matters' => [['noreply' => true], 'Unknown call option "noreply"'],
            'zero timeout' => [['timeout' => 0], 'greater than 0, 0 given'],
            'negative timeout' => [['timeout' => -1.5], 'greater than 0'],
            'infinite timeout' => [['timeout' => INF], 'greater than 0'],
            'string timeout' => [['timeout' => '5'], "greater than 0, '5' given"],
            'huge timeout' => [['timeout' => 1e10], 'too large'],
            'bad variants' => [['variants' => 'raw'], 'must be "typed" or "plain"'],
            'non-bool noReply' => [['noReply' => 1], 'must be a bool, 1 given'],
            'numeric key' => [[0 => 'x'], 'Unknown call option "0"'],
        ];
    }

    /**
     * @dataProvider invalidOptions
     * @param array<string, mixed> $options
     */
    public function testUnknownKeysAndBadValuesAreErrors(array $options, string $message): void
    {
        try {
            CallOptions::fromArray($options);
            self::fail('accepted ' . var_export($options, true));
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString($message, $e->getMessage());
            self::assertSame('net.skypebus.Error.InvalidRequest', $e->getErrorName());
        }
    }
}
