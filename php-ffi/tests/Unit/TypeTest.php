<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Unit;

use PHPUnit\Framework\TestCase;
use SkypeBus\Exception\InvalidArgumentException;
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
use SkypeBus\Type\TypedValue;
use SkypeBus\Type\UInt16;
use SkypeBus\Type\UInt32;
use SkypeBus\Type\UInt64;
use SkypeBus\Type\Variant;

/**
 * The typed values and the typed JSON form they serialize to.
 */
final class TypeTest extends TestCase
{
    private static function json(TypedValue $value): string
    {
        return json_encode($value, JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION | JSON_THROW_ON_ERROR);
    }

    /**
     * @return array<string, array{0: TypedValue, 1: string, 2: string}>
     */
    public function typedValues(): array
    {
        return [
            'byte' => [new Byte(2), 'y', '{"type":"y","data":2}'],
            'int16 min' => [new Int16(-32768), 'n', '{"type":"n","data":-32768}'],
            'uint16 max' => [new UInt16(65535), 'q', '{"type":"q","data":65535}'],
            'int32 min' => [new Int32(-2147483648), 'i', '{"type":"i","data":-2147483648}'],
            'uint32 max' => [new UInt32(4294967295), 'u', '{"type":"u","data":4294967295}'],
            'int64 min' => [new Int64(PHP_INT_MIN), 'x', '{"type":"x","data":-9223372036854775808}'],
            'int64 from string' => [new Int64('-9223372036854775808'), 'x', '{"type":"x","data":-9223372036854775808}'],
            'uint64 max' => [new UInt64('18446744073709551615'), 't', '{"type":"t","data":"18446744073709551615"}'],
            'uint64 small string' => [new UInt64('42'), 't', '{"type":"t","data":42}'],
            'integral float' => [new UInt32(2.0), 'u', '{"type":"u","data":2}'],
            'double' => [new Double(0.5), 'd', '{"type":"d","data":0.5}'],
            'double integral' => [new Double(2), 'd', '{"type":"d","data":2.0}'],
            'double minus zero' => [new Double(-0.0), 'd', '{"type":"d","data":-0.0}'],
            'double nan' => [new Double(NAN), 'd', '{"type":"d","data":"NaN"}'],
            'double inf' => [new Double(INF), 'd', '{"type":"d","data":"Infinity"}'],
            'double -inf' => [new Double(-INF), 'd', '{"type":"d","data":"-Infinity"}'],
            'object path' => [new ObjectPath('/org/freedesktop/DBus'), 'o', '{"type":"o","data":"/org/freedesktop/DBus"}'],
            'root path' => [new ObjectPath('/'), 'o', '{"type":"o","data":"/"}'],
            'signature' => [new Signature('a{sv}'), 'g', '{"type":"g","data":"a{sv}"}'],
            'empty signature' => [new Signature(''), 'g', '{"type":"g","data":""}'],
            'bytes' => [new Bytes("\x00\xff\n"), 'ay', '{"type":"ay","data":"AP8K"}'],
            'empty bytes' => [new Bytes(''), 'ay', '{"type":"ay","data":""}'],
            'variant' => [new Variant('u', 5), 'u', '{"type":"u","data":5}'],
            'variant of bytes' => [new Variant('ay', "\x00\xff\n"), 'ay', '{"type":"ay","data":"AP8K"}'],
            'variant of a typed value' => [new Variant('y', new Byte(2)), 'y', '{"type":"y","data":2}'],
            'variant of an empty Dict' => [new Variant('a{sv}', new Dict([])), 'a{sv}', '{"type":"a{sv}","data":{}}'],
            'variant of nan' => [new Variant('d', NAN), 'd', '{"type":"d","data":"NaN"}'],
            'variant of dict' => [new Variant('a{sv}', []), 'a{sv}', '{"type":"a{sv}","data":{}}'],
            'variant of variant' => [new Variant('v', new Variant('s', 'x')), 'v', '{"type":"v","data":{"type":"s","data":"x"}}'],
            'struct inferred' => [new Struct([new UInt32(1), 'a', true, 1.5]), '(usbd)', '{"type":"(usbd)","data":[{"type":"u","data":1},"a",true,1.5]}'],
            'struct typed' => [new Struct([1, 'a'], '(us)'), '(us)', '{"type":"(us)","data":[1,"a"]}'],
            'struct with bytes' => [new Struct(["\x00", 1], '(ayi)'), '(ayi)', '{"type":"(ayi)","data":[{"type":"ay","data":"AA=="},1]}'],
            'dict int keys' => [new Dict([1 => 'one', 2 => 'two'], 'a{us}'), 'a{us}', '{"type":"a{us}","data":{"1":"one","2":"two"}}'],
            'dict list forced' => [new Dict(['a', 'b'], 'a{is}'), 'a{is}', '{"type":"a{is}","data":{"0":"a","1":"b"}}'],
            'dict empty' => [new Dict([], 'a{sv}'), 'a{sv}', '{"type":"a{sv}","data":{}}'],
            'dict empty inferred' => [new Dict([]), 'a{sv}', '{"type":"a{sv}","data":{}}'],
            'dict inferred' => [new Dict(['a' => 1, 'b' => 2]), 'a{si}', '{"type":"a{si}","data":{"a":1,"b":2}}'],
            'dict inferred mixed' => [new Dict(['a' => 1, 'b' => 'x']), 'a{sv}', '{"type":"a{sv}","data":{"a":1,"b":"x"}}'],
            'dict inferred ints' => [new Dict([5 => true]), 'a{ib}', '{"type":"a{ib}","data":{"5":true}}'],
            'dict bool keys' => [Dict::fromPairs([[true, 'yes'], [false, 'no']], 'a{bs}'), 'a{bs}', '{"type":"a{bs}","data":{"true":"yes","false":"no"}}'],
            'dict double keys' => [Dict::fromPairs([[1.5, 1], [2.0, 2]], 'a{di}'), 'a{di}', '{"type":"a{di}","data":{"1.5":1,"2.0":2}}'],
            'dict u64 keys' => [Dict::fromPairs([['18446744073709551615', 'max']], 'a{ts}'), 'a{ts}', '{"type":"a{ts}","data":{"18446744073709551615":"max"}}'],
            'dict of bytes' => [new Dict(['k' => "\xff"], 'a{say}'), 'a{say}', '{"type":"a{say}","data":{"k":{"type":"ay","data":"/w=="}}}'],
        ];
    }

    /**
     * @dataProvider typedValues
     */
    public function testSerializesToTheTypedForm(TypedValue $value, string $signature, string $json): void
    {
        self::assertSame($signature, $value->getSignature());
        self::assertSame($json, self::json($value));
    }

    public function testValuesComeBackAsGiven(): void
    {
        self::assertSame(2, (new Byte(2))->getValue());
        self::assertSame('18446744073709551615', (new UInt64('18446744073709551615'))->getValue());
        self::assertSame(PHP_INT_MAX, (new UInt64((string) PHP_INT_MAX))->getValue());
        self::assertSame(PHP_INT_MIN, (new Int64('-9223372036854775808'))->getValue());
        self::assertSame("\x00\xff", (new Bytes("\x00\xff"))->getValue());
        self::assertSame("\x00\xff", (string) new Bytes("\x00\xff"));
        self::assertSame('/a/b', (string) new ObjectPath('/a/b'));
        self::assertSame('as', (string) new Signature('as'));
        self::assertNan((new Double(NAN))->getValue());
        self::assertSame(['x', 1], (new Struct(['x', 1]))->getValue());
        self::assertSame([1 => 'a'], (new Dict([1 => 'a']))->getValue());
        self::assertSame([1 => 'yes', 0 => 'no'], Dict::fromPairs([[true, 'yes'], [false, 'no']], 'a{bs}')->getValue());
        self::assertSame(['1.5' => 'x', '2.0' => 'y'], Dict::fromPairs([[1.5, 'x'], [2.0, 'y']], 'a{ds}')->getValue());
        self::assertSame([[true, 'yes']], Dict::fromPairs([[true, 'yes']], 'a{bs}')->getPairs());
        $variant = new Variant('as', ['a']);
        self::assertSame('as', $variant->getSignature());
        self::assertSame(['a'], $variant->getValue());
    }

    /**
     * @return array<string, array{0: callable}>
     */
    public function invalidValues(): array
    {
        return [
            'byte too big' => [static function () {
                return new Byte(256);
            }],
            'byte negative' => [static function () {
                return new Byte(-1);
            }],
            'int16 too small' => [static function () {
                return new Int16(-32769);
            }],
            'uint16 too big' => [static function () {
                return new UInt16(65536);
            }],
            'int32 too big' => [static function () {
                return new Int32(2147483648);
            }],
            'uint32 negative' => [static function () {
                return new UInt32(-1);
            }],
            'uint32 too big' => [static function () {
                return new UInt32(4294967296);
            }],
            'int64 below min' => [static function () {
                return new Int64('-9223372036854775809');
            }],
            'int64 above max' => [static function () {
                return new Int64('9223372036854775808');
            }],
            'uint64 negative' => [static function () {
                return new UInt64(-1);
            }],
            'uint64 above max' => [static function () {
                return new UInt64('18446744073709551616');
            }],
            'uint64 not decimal' => [static function () {
                return new UInt64('0x10');
            }],
            'uint64 leading zero' => [static function () {
                return new UInt64('007');
            }],
            'uint64 fraction' => [static function () {
                return new UInt64(1.5);
            }],
            'int32 minus zero text' => [static function () {
                return new Int32('-0');
            }],
            'int32 empty text' => [static function () {
                return new Int32('');
            }],
            'path relative' => [static function () {
                return new ObjectPath('a/b');
            }],
            'path trailing slash' => [static function () {
                return new ObjectPath('/a/');
            }],
            'path double slash' => [static function () {
                return new ObjectPath('/a//b');
            }],
            'path bad char' => [static function () {
                return new ObjectPath('/a-b');
            }],
            'path empty' => [static function () {
                return new ObjectPath('');
            }],
            'signature invalid' => [static function () {
                return new Signature('a{vs}');
            }],
            'signature unclosed' => [static function () {
                return new Signature('(ii');
            }],
            'variant two types' => [static function () {
                return new Variant('ii', 1);
            }],
            'variant no type' => [static function () {
                return new Variant('', 1);
            }],
            'variant byte out of range' => [static function () {
                return new Variant('y', 256);
            }],
            'variant negative uint32' => [static function () {
                return new Variant('u', -1);
            }],
            'variant int for a bool' => [static function () {
                return new Variant('b', 1);
            }],
            'variant int for a string' => [static function () {
                return new Variant('s', 5);
            }],
            'variant bad object path' => [static function () {
                return new Variant('o', 'a/b');
            }],
            'variant element out of range' => [static function () {
                return new Variant('ay', [1, 256]);
            }],
            'variant dict value of the wrong type' => [static function () {
                return new Variant('a{su}', ['a' => 'x']);
            }],
            'variant struct of the wrong arity' => [static function () {
                return new Variant('(su)', ['a']);
            }],
            'struct empty' => [static function () {
                return new Struct([]);
            }],
            'struct not a list' => [static function () {
                return new Struct(['a' => 1]);
            }],
            'struct wrong arity' => [static function () {
                return new Struct([1, 2], '(i)');
            }],
            'struct not a struct type' => [static function () {
                return new Struct([1], 'i');
            }],
            'struct null member' => [static function () {
                return new Struct([null]);
            }],
            'struct mixed list member' => [static function () {
                return new Struct([[1, 'a']]);
            }],
            'dict not a dict type' => [static function () {
                return new Dict([], 'as');
            }],
            'dict duplicate keys' => [static function () {
                return Dict::fromPairs([[1, 'a'], [1, 'b']], 'a{is}');
            }],
            'dict pair malformed' => [static function () {
                return Dict::fromPairs([[1]], 'a{is}');
            }],
            'variant of another typed value' => [static function () {
                return json_encode(new Variant('u', new Byte(1)));
            }],
            'dict key not basic' => [static function () {
                return Dict::fromPairs([[[1], 'a']], 'a{is}');
            }],
        ];
    }

    /**
     * @dataProvider invalidValues
     */
    public function testRefusesValuesThatCannotBeSent(callable $make): void
    {
        $this->expectException(InvalidArgumentException::class);
        $make();
    }

    public function testRangeErrorsSayWhatIsWrong(): void
    {
        try {
            new Byte(300);
            self::fail('no exception');
        } catch (InvalidArgumentException $e) {
            self::assertSame('net.skypebus.Error.TypeMismatch', $e->getErrorName());
            self::assertStringContainsString('300 is out of range for D-Bus "y" (0 to 255)', $e->getMessage());
            self::assertInstanceOf(\InvalidArgumentException::class, $e);
        }
    }

    public function testAVariantRefusesAValueOutOfRangeAtOnce(): void
    {
        try {
            new Variant('y', 256);
            self::fail('no exception');
        } catch (InvalidArgumentException $e) {
            self::assertSame('net.skypebus.Error.TypeMismatch', $e->getErrorName());
            self::assertSame('new Variant("y", ...): 256 is out of range for D-Bus "y" (0 to 255)', $e->getMessage());
        }
        self::assertSame('{"type":"a{sv}","data":{"n":{"type":"y","data":3}}}', json_encode(new Variant('a{sv}', ['n' => new Byte(3)])));
        self::assertSame('{"type":"(sd)","data":["a",1]}', json_encode(new Variant('(sd)', ['a', 1])));
    }

    public function testNullInsideAVariantIsRefusedWhenSerialized(): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage('null cannot be sent');
        json_encode(new Variant('av', [null]), JSON_THROW_ON_ERROR);
    }
}
