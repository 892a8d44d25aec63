<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Tests\Support\EchoPeer;
use SkypeBus\Tests\Support\PrivateBus;
use SkypeBus\Type\Byte;
use SkypeBus\Type\Bytes;
use SkypeBus\Type\Dict;
use SkypeBus\Type\Double;
use SkypeBus\Type\Int16;
use SkypeBus\Type\Int32;
use SkypeBus\Type\Int64;
use SkypeBus\Type\ObjectPath;
use SkypeBus\Type\Signature;
use SkypeBus\Type\Struct;
use SkypeBus\Type\UInt16;
use SkypeBus\Type\UInt32;
use SkypeBus\Type\UInt64;
use SkypeBus\Type\Variant;

/**
 * Values through a dbusmock echo peer that reports the wire signature it received: every typed
 * value class, the 64-bit extremes, binary strings, PHP array shapes, nested typed variants.
 */
class RoundTripTest extends IntegrationTestCase
{
    protected static function startPeers(PrivateBus $bus): void
    {
        EchoPeer::start($bus);
    }

    /**
     * Sends $args to an echo method declared with $wire, and returns [wire signature received,
     * values echoed back].
     *
     * @param list<mixed> $args
     * @param array<string, mixed> $options
     * @return array{0: string, 1: list<mixed>}
     */
    private function echo(string $wire, array $args, ?string $signature = null, array $options = []): array
    {
        $method = EchoPeer::method($this->bus, static::$private, $wire);
        $reply = $this->bus->call(EchoPeer::NAME, EchoPeer::PATH, EchoPeer::INTERFACE, $method, $args, $signature, $options);
        return [array_shift($reply), $reply];
    }

    /**
     * @return array<string, array{0: string, 1: mixed, 2: mixed}>
     */
    public function typedValues(): array
    {
        return [
            'Byte' => ['y', new Byte(255), 255],
            'Int16' => ['n', new Int16(-32768), -32768],
            'UInt16' => ['q', new UInt16(65535), 65535],
            'Int32' => ['i', new Int32(-2147483648), -2147483648],
            'UInt32' => ['u', new UInt32(4294967295), 4294967295],
            'Int64 min' => ['x', new Int64(PHP_INT_MIN), PHP_INT_MIN],
            'Int64 min as text' => ['x', new Int64('-9223372036854775808'), PHP_INT_MIN],
            'Int64 max' => ['x', new Int64(PHP_INT_MAX), PHP_INT_MAX],
            'UInt64 max' => ['t', new UInt64('18446744073709551615'), '18446744073709551615'],
            'UInt64 above PHP_INT_MAX' => ['t', new UInt64('9223372036854775808'), '9223372036854775808'],
            'UInt64 small' => ['t', new UInt64(7), 7],
            'Double' => ['d', new Double(0.1), 0.1],
            'Double minus zero' => ['d', new Double(-0.0), -0.0],
            'Double infinity' => ['d', new Double(INF), INF],
            'Double minus infinity' => ['d', new Double(-INF), -INF],
            'ObjectPath' => ['o', new ObjectPath('/org/example/Thing_1'), '/org/example/Thing_1'],
            'Signature' => ['g', new Signature('a{sv}(iu)'), 'a{sv}(iu)'],
            'Bytes' => ['ay', new Bytes("\x00\xff\xfe\x80 binary \x00"), "\x00\xff\xfe\x80 binary \x00"],
            'Bytes empty' => ['ay', new Bytes(''), ''],
            'Struct' => ['(usd)', new Struct([new UInt32(1), 'two', 3.5]), [1, 'two', 3.5]],
            'Struct typed' => ['(yo)', new Struct([7, '/a'], '(yo)'), [7, '/a']],
            'Dict int keys' => ['a{us}', new Dict([1 => 'one', 7 => 'seven'], 'a{us}'), [1 => 'one', 7 => 'seven']],
            'Dict from a list' => ['a{is}', new Dict(['zero', 'one'], 'a{is}'), ['zero', 'one']],
            'Dict empty' => ['a{sv}', new Dict([], 'a{sv}'), []],
            'Dict bool keys' => ['a{bs}', Dict::fromPairs([[true, 'yes'], [false, 'no']], 'a{bs}'), [1 => 'yes', 0 => 'no']],
            'Dict u64 keys' => ['a{ts}', Dict::fromPairs([['18446744073709551615', 'max'], [0, 'min']], 'a{ts}'),
                ['18446744073709551615' => 'max', 0 => 'min']],
        ];
    }

    /**
     * Typed values decide their type with no signature at all.
     *
     * @dataProvider typedValues
     * @param mixed $value
     * @param mixed $expected
     */
    public function testTypedValuesArriveWithTheirType(string $wire, $value, $expected): void
    {
        [$received, $values] = $this->echo($wire, [$value]);
        self::assertSame($wire, $received);
        self::assertSame([$expected], $values);
        if ($wire === 'd') {
            self::assertSame(
                json_encode($expected, JSON_PRESERVE_ZERO_FRACTION | JSON_PARTIAL_OUTPUT_ON_ERROR),
                json_encode($values[0], JSON_PRESERVE_ZERO_FRACTION | JSON_PARTIAL_OUTPUT_ON_ERROR),
                'sign of zero'
            );
        }
    }

    /**
     * @dataProvider typedValues
     * @param mixed $value
     * @param mixed $expected
     */
    public function testTypedValuesInsideVariants(string $wire, $value, $expected): void
    {
        [$received, $values] = $this->echo('v', [new Variant($wire, $value)], 'v', ['variants' => 'typed']);
        self::assertSame('v', $received);
        self::assertInstanceOf(Variant::class, $values[0]);
        self::assertSame($wire, $values[0]->getSignature());
        self::assertSame($expected, $values[0]->getValue());
        // And unwrapped by default.
        [, $plain] = $this->echo('v', [$value], 'v');
        self::assertSame([$expected], $plain);
    }

    public function testNanRoundTrips(): void
    {
        [$received, $values] = $this->echo('ddv', [NAN, new Double(NAN), NAN], 'ddv');
        self::assertSame('ddv', $received);
        self::assertNan($values[0]);
        self::assertNan($values[1]);
        self::assertNan($values[2]);
        [$received, $values] = $this->echo('d', [NAN]);
        self::assertSame('d', $received, 'PHP NAN is sendable without a signature');
        self::assertNan($values[0]);
    }

    public function testSixtyFourBitExtremesAsPlainPhpValues(): void
    {
        [$received, $values] = $this->echo('txtx', ['18446744073709551615', PHP_INT_MIN, 0, PHP_INT_MAX], 'txtx');
        self::assertSame('txtx', $received);
        self::assertSame(['18446744073709551615', PHP_INT_MIN, 0, PHP_INT_MAX], $values);
    }

    public function testBinaryStringsWhereTheSignatureSaysBytes(): void
    {
        $binary = "\x00\xff\xfe\xc3\x28 not UTF-8 \x00\x00";
        [$received, $values] = $this->echo('ayaaya{say}(ays)', [$binary, [$binary, ''], ['k' => $binary], [$binary, 'text']], 'ayaaya{say}(ays)');
        self::assertSame('ayaaya{say}(ays)', $received);
        self::assertSame([$binary, [$binary, ''], ['k' => $binary], [$binary, 'text']], $values);
        [$received, $values] = $this->echo('ay', [[0, 1, 255]], 'ay');
        self::assertSame(["\x00\x01\xff"], $values, 'a list of byte values is bytes too');
    }

    public function testBytesComeBackAsBinaryStringsWithoutBase64Mode(): void
    {
        // A plain string argument and no signature: the request does not ask for base64, so the
        // library sends "ay" as numbers; PHP still gives a binary string.
        [$received, $values] = $this->echo('say', ['text', new Bytes("\x00\xff")]);
        self::assertSame('say', $received);
        self::assertSame(['text', "\x00\xff"], $values);
    }

    public function testOneMebibyteOfBytes(): void
    {
        $binary = random_bytes(1 << 20);
        [$received, $values] = $this->echo('ay', [new Bytes($binary)]);
        self::assertSame('ay', $received);
        self::assertSame($binary, $values[0]);
        [, $values] = $this->echo('ay', [$binary], 'ay');
        self::assertSame($binary, $values[0]);
    }

    public function testPhpArrayShapesForDicts(): void
    {
        [$received, $values] = $this->echo('a{is}a{is}a{us}a{sv}a{ss}', [
            [],
            ['zero', 'one'],
            [5 => 'five', 9 => 'nine'],
            [],
            ['1' => 'numeric-looking key', 'b' => 'c'],
        ], 'a{is}a{is}a{us}a{sv}a{ss}');
        self::assertSame('a{is}a{is}a{us}a{sv}a{ss}', $received);
        self::assertSame([[], ['zero', 'one'], [5 => 'five', 9 => 'nine'], [], [1 => 'numeric-looking key', 'b' => 'c']], $values);
    }

    public function testNestedDictOfTypedVariants(): void
    {
        $hints = [
            'urgency' => new Byte(2),
            'category' => 'im',
            'nested' => new Variant('a{sv}', [
                'count' => new UInt32(3),
                'path' => new ObjectPath('/a'),
                'blob' => new Bytes("\x00\x01"),
                'inner' => new Variant('v', new Int16(-1)),
                'list' => ['a', 'b'],
            ]),
            'empty' => new Dict([], 'a{sv}'),
        ];
        [$received, $values] = $this->echo('a{sv}', [$hints], null, ['variants' => 'typed']);
        self::assertSame('a{sv}', $received);
        $echoed = $values[0];
        self::assertSame('y', $echoed['urgency']->getSignature());
        self::assertSame(2, $echoed['urgency']->getValue());
        self::assertSame('s', $echoed['category']->getSignature());
        $nested = $echoed['nested']->getValue();
        self::assertSame('a{sv}', $echoed['nested']->getSignature());
        self::assertSame('u', $nested['count']->getSignature());
        self::assertSame('o', $nested['path']->getSignature());
        self::assertSame('ay', $nested['blob']->getSignature());
        self::assertSame("\x00\x01", $nested['blob']->getValue());
        self::assertSame('v', $nested['inner']->getSignature());
        self::assertSame('n', $nested['inner']->getValue()->getSignature());
        self::assertSame(-1, $nested['inner']->getValue()->getValue());
        self::assertSame('as', $nested['list']->getSignature());
        self::assertSame('a{sv}', $echoed['empty']->getSignature());

        // Typed output goes back in unchanged.
        [$received, $again] = $this->echo('a{sv}', [$echoed], null, ['variants' => 'typed']);
        self::assertSame('a{sv}', $received);
        self::assertEquals($echoed, $again[0]);

        // Unwrapped by default.
        [, $plain] = $this->echo('a{sv}', [$hints]);
        self::assertSame(
            ['urgency' => 2, 'category' => 'im', 'nested' => ['count' => 3, 'path' => '/a', 'blob' => "\x00\x01", 'inner' => -1, 'list' => ['a', 'b']], 'empty' => []],
            $plain[0]
        );
    }

    public function testInferenceOfPlainPhpValues(): void
    {
        [$received, $values] = $this->echo('sbixda{sv}as', ['text', true, 42, 1 << 40, 2.0, ['k' => 1], ['a', 'b']]);
        self::assertSame('sbixda{sv}as', $received);
        self::assertSame(['text', true, 42, 1 << 40, 2.0, ['k' => 1], ['a', 'b']], $values);
    }
    /**
     * A reply that is exactly one byte array comes back as the same binary string from the
     * serialize() text of skypebus_call_into (a reply larger than the package's 64 KiB buffer
     * comes in a buffer of its own) and from its JSON form ('variants' => 'typed'), empty and large
     * ones included.
     */
    public function testAByteArrayReplyComesBackRaw(): void
    {
        $this->bus->call(
            EchoPeer::NAME,
            EchoPeer::PATH,
            'org.freedesktop.DBus.Mock',
            'AddMethod',
            [EchoPeer::INTERFACE, 'RawBytes', 'ay', 'ay', 'ret = args[0]'],
            'sssss'
        );
        $call = function (string $bytes, array $options = []): array {
            return $this->bus->call(EchoPeer::NAME, EchoPeer::PATH, EchoPeer::INTERFACE, 'RawBytes', [$bytes], 'ay', $options);
        };
        $all = '';
        for ($i = 0; $i < 256; $i++) {
            $all .= chr($i);
        }
        $large = str_repeat($all, 4096) . "\x00";
        foreach ([[], ['variants' => 'typed']] as $options) {
            self::assertSame([$all], $call($all, $options));
            self::assertSame([''], $call('', $options));
            self::assertSame([$large], $call($large, $options));
            self::assertSame([], $call($all, ['noReply' => true] + $options));
        }
        // A reply of more than the one array still goes through JSON.
        self::assertSame(['ayay', [$all, "\x00"]], $this->echo('ayay', [$all, "\x00"], 'ayay'));
    }
}
