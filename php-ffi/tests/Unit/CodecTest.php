<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Unit;

use PHPUnit\Framework\TestCase;
use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Internal\CallOptions;
use SkypeBus\Internal\CallTarget;
use SkypeBus\Internal\PropertyTarget;
use SkypeBus\Internal\ReplyDecoder;
use SkypeBus\Internal\RequestEncoder;
use SkypeBus\Internal\Values;
use SkypeBus\Type\Byte;
use SkypeBus\Type\Bytes;
use SkypeBus\Type\Double;
use SkypeBus\Type\UInt32;
use SkypeBus\Type\Variant;

/**
 * The request JSON built from PHP values, and PHP values decoded from reply JSON.
 */
final class CodecTest extends TestCase
{
    /**
     * @param list<mixed> $args
     * @param array<string, mixed> $options
     * @return array<string, mixed>
     */
    private static function request(array $args, ?string $signature = null, array $options = []): array
    {
        $json = RequestEncoder::encodeCall(new CallTarget('org.example', '/org/example', 'org.example.I', 'M', $signature), $args, CallOptions::fromArray($options));
        return json_decode($json, true, 512, JSON_BIGINT_AS_STRING | JSON_THROW_ON_ERROR);
    }

    /**
     * @param list<mixed> $args
     */
    private static function argsJson(array $args, ?string $signature = null): string
    {
        $json = RequestEncoder::encodeCall(new CallTarget('d.e', '/', null, 'M', $signature), $args, CallOptions::fromArray([]));
        $start = strpos($json, '"args":') + 7;
        $end = strrpos($json, ',"variants"');
        return substr($json, $start, $end - $start);
    }

    public function testTheRequestEnvelope(): void
    {
        // Packed arrays in replies are asked for where unpack() reads them (little endian, 64-bit).
        $packed = PHP_INT_SIZE === 8 && pack('S', 1) === "\x01\x00";
        $arrays = $packed ? ',"arrays":"base64"' : '';
        self::assertSame(
            '{"destination":"org.example","path":"/org/example","interface":"org.example.I","method":"M",'
            . '"signature":"su","args":["a",1],"timeout_ms":1500,"variants":"typed","bytes":"base64"' . $arrays . '}',
            RequestEncoder::encodeCall(new CallTarget('org.example', '/org/example', 'org.example.I', 'M', 'su'), ['a', 1], CallOptions::fromArray(['timeout' => 1.5]))
        );
        self::assertSame(
            '{"path":"/","method":"Ping","no_reply":true,"variants":"typed","bytes":"base64"' . $arrays . '}',
            RequestEncoder::encodeCall(new CallTarget('', '/', null, 'Ping', null), [], CallOptions::fromArray(['noReply' => true]))
        );
        self::assertSame(
            ['destination' => 'org.example', 'path' => '/org/example', 'method' => 'M', 'variants' => 'typed', 'bytes' => 'base64']
                + ($packed ? ['arrays' => 'base64'] : []),
            json_decode(RequestEncoder::encodeCall(new CallTarget('org.example', '/org/example', '', 'M', null), [], new CallOptions()), true)
        );
    }

    public function testPropertyRequests(): void
    {
        $options = new CallOptions();
        self::assertSame(
            '{"destination":"org.example","path":"/o","interface":"org.example.I","op":"get","name":"Volume","variants":"typed","bytes":"base64"}',
            RequestEncoder::encodeProperties('get', new PropertyTarget('org.example', '/o', 'org.example.I', 'Volume'), null, null, $options)
        );
        self::assertSame(
            '{"path":"/o","interface":"org.example.I","op":"get_all","timeout_ms":2000,"variants":"typed","bytes":"base64"}',
            RequestEncoder::encodeProperties('get_all', new PropertyTarget('', '/o', 'org.example.I', null), null, null, CallOptions::fromArray(['timeout' => 2]))
        );
        self::assertSame(
            '{"destination":"d.e","path":"/o","interface":"i.j","op":"set","name":"Count","value":7,"variants":"typed","bytes":"base64"}',
            RequestEncoder::encodeProperties('set', new PropertyTarget('d.e', '/o', 'i.j', 'Count'), 7, null, $options)
        );
        self::assertSame(
            '{"destination":"d.e","path":"/o","interface":"i.j","op":"set","name":"Blob","signature":"ay","value":{"type":"ay","data":"AP8="},"variants":"typed","bytes":"base64"}',
            RequestEncoder::encodeProperties('set', new PropertyTarget('d.e', '/o', 'i.j', 'Blob'), "\x00\xff", 'ay', $options)
        );
        self::assertSame(
            '{"destination":"d.e","path":"/o","interface":"i.j","op":"set","name":"Count","signature":"u","value":7,"variants":"typed","bytes":"base64"}',
            RequestEncoder::encodeProperties('set', new PropertyTarget('d.e', '/o', 'i.j', 'Count'), new UInt32(7), null, $options),
            'a typed value gives the signature and the data'
        );
        self::assertSame(
            '{"destination":"d.e","path":"/o","interface":"i.j","op":"set","name":"Blob","signature":"ay","value":"AP8=","variants":"typed","bytes":"base64"}',
            RequestEncoder::encodeProperties('set', new PropertyTarget('d.e', '/o', 'i.j', 'Blob'), new Variant('ay', "\x00\xff"), 'ay', $options)
        );
        self::assertSame(
            '{"destination":"d.e","path":"/o","interface":"i.j","op":"set","name":"Title","value":"text","variants":"typed"}',
            RequestEncoder::encodeProperties('set', new PropertyTarget('d.e', '/o', 'i.j', 'Title'), 'text', null, $options),
            'a plain string and no signature: no base64 mode (the declared type might be ay)'
        );
        foreach ([['noReply' => true], []] as $i => $bad) {
            try {
                RequestEncoder::encodeProperties('set', new PropertyTarget('d.e', '/o', 'i.j', 'X'), $i === 0 ? 1 : null, $i === 0 ? null : 'd', CallOptions::fromArray($bad));
                self::fail('accepted');
            } catch (InvalidArgumentException $e) {
                self::assertStringContainsString($i === 0 ? 'noReply' : 'null cannot be sent', $e->getMessage());
            }
        }
    }

    public function testOneValueReplies(): void
    {
        self::assertSame(7, ReplyDecoder::decodeValue('{"type":"u","data":7}', false));
        self::assertSame("\x00\xff", ReplyDecoder::decodeValue('{"type":"ay","data":"AP8="}', false));
        self::assertSame(['a' => 1.5, 'b' => "\x00"], ReplyDecoder::decodeValue('{"type":"a{sv}","data":{"a":{"type":"d","data":1.5},"b":{"type":"ay","data":"AA=="}}}', false));
        $typed = ReplyDecoder::decodeValue('{"type":"a{sv}","data":{"a":{"type":"d","data":1.5}}}', true);
        self::assertInstanceOf(Variant::class, $typed['a']);
        self::assertSame('18446744073709551615', ReplyDecoder::decodeValue('{"type":"t","data":18446744073709551615}', false));
        foreach (['{"type":"","data":[]}', '{"data":1}', '[]', 'x'] as $json) {
            try {
                ReplyDecoder::decodeValue($json, false);
                self::fail('decoded ' . $json);
            } catch (DBusException $e) {
                self::assertSame('net.skypebus.Error.InvalidMessage', $e->getErrorName());
            }
        }
    }

    public function testBytesAreAskedForAsBase64OnlyWhereNoPlainStringCouldBeMistakenForThem(): void
    {
        self::assertSame('base64', self::request(['text'], 's')['bytes'] ?? null, 'the signature says what is ay');
        self::assertSame('base64', self::request([1, new Bytes('x')])['bytes'] ?? null, 'no plain string');
        self::assertSame('base64', self::request([new Variant('s', 'x')])['bytes'] ?? null, 'strings inside typed values are typed');
        self::assertArrayNotHasKey('bytes', self::request(['text']), 'introspection might say ay');
        self::assertArrayNotHasKey('bytes', self::request([['k' => ['nested']]]));
        $object = new \stdClass();
        $object->k = 'v';
        self::assertArrayNotHasKey('bytes', self::request([$object]));
    }

    /**
     * @return array<string, array{0: list<mixed>, 1: string|null, 2: string}>
     */
    public function arguments(): array
    {
        $object = new \stdClass();
        $object->a = 1;
        $object->{'0'} = NAN;
        return [
            'binary string where ay' => [["\x00\xff\xfe"], 'ay', '[{"type":"ay","data":"AP/+"}]'],
            'binary strings where aay' => [[["\x00", "\xff"]], 'aay', '[[{"type":"ay","data":"AA=="},{"type":"ay","data":"/w=="}]]'],
            'bytes inside a struct' => [[["\xff", 'x']], '(ays)', '[[{"type":"ay","data":"/w=="},"x"]]'],
            'bytes as dict values' => [[['k' => "\xff"]], 'a{say}', '[{"k":{"type":"ay","data":"/w=="}}]'],
            'byte list stays a list' => [[[0, 255]], 'ay', '[[0,255]]'],
            'Bytes object' => [[new Bytes("\x00")], null, '[{"type":"ay","data":"AA=="}]'],
            'nan where d' => [[NAN, INF, -INF], 'ddd', '["NaN","Infinity","-Infinity"]'],
            'nan in ad' => [[[NAN, 1.5]], 'ad', '[["NaN",1.5]]'],
            'nan unknown place' => [[NAN], null, '[{"type":"d","data":"NaN"}]'],
            'nan where v' => [[INF], 'v', '[{"type":"d","data":"Infinity"}]'],
            'nan in a{sv}' => [[['x' => -INF]], 'a{sv}', '[{"x":{"type":"d","data":"-Infinity"}}]'],
            'minus zero' => [[-0.0], 'd', '[-0.0]'],
            'integral float keeps its fraction' => [[2.0], null, '[2.0]'],
            'empty array where dict' => [[[]], 'a{sv}', '[{}]'],
            'list where int-keyed dict' => [[['a', 'b']], 'a{is}', '[{"0":"a","1":"b"}]'],
            'sparse int keys where dict' => [[[5 => 'a', 9 => 'b']], 'a{us}', '[{"5":"a","9":"b"}]'],
            'empty array unknown' => [[[]], null, '[[]]'],
            'assoc unknown' => [[['a' => 1, 'b' => [1, 2]]], null, '[{"a":1,"b":[1,2]}]'],
            'stdClass' => [[$object], 'a{sd}', '[{"a":1,"0":"NaN"}]'],
            'typed values' => [[new Byte(2), new UInt32(7)], 'yv', '[{"type":"y","data":2},{"type":"u","data":7}]'],
            'notify hints' => [[['urgency' => new Byte(2), 'category' => 'im']], 'a{sv}', '[{"urgency":{"type":"y","data":2},"category":"im"}]'],
            'nested variants' => [[['a' => new Variant('a{sv}', ['b' => new Variant('v', new UInt32(1))])]], 'a{sv}',
                '[{"a":{"type":"a{sv}","data":{"b":{"type":"v","data":{"type":"u","data":1}}}}}]'],
            'unicode and slashes as they are' => [['é/€'], 's', '["é/€"]'],
            'u64 max as string' => [['18446744073709551615'], 't', '["18446744073709551615"]'],
            'i64 min' => [[PHP_INT_MIN], 'x', '[-9223372036854775808]'],
        ];
    }

    /**
     * @dataProvider arguments
     * @param list<mixed> $args
     */
    public function testArgumentsBecomeJson(array $args, ?string $signature, string $json): void
    {
        self::assertSame($json, self::argsJson($args, $signature));
    }

    /**
     * @return array<string, array{0: list<mixed>, 1: string|null, 2: string}>
     */
    public function unsendable(): array
    {
        return [
            'null' => [[null], null, 'null cannot be sent'],
            'null in a list' => [[[1, null]], 'av', 'null cannot be sent'],
            'resource' => [[STDIN], null, 'resource cannot be sent'],
            'closure' => [[static function (): void {
            }], null, 'Closure cannot be sent'],
            'invalid utf-8 string' => [["\xff"], 's', 'not valid UTF-8'],
            'invalid utf-8 unknown place' => [["\xff"], null, 'not valid UTF-8'],
            'too few arguments' => [['a'], 'su', 'M takes 2 arguments (signature "su"), 1 given'],
            'too many arguments' => [['a', 1], 's', 'M takes 1 argument (signature "s"), 2 given'],
            'bad signature' => [[1], 'z', 'Invalid D-Bus signature'],
            'not a list' => [['a' => 1], null, 'must be a list'],
        ];
    }

    /**
     * @dataProvider unsendable
     * @param list<mixed> $args
     */
    public function testRefusesWhatCannotBeSent(array $args, ?string $signature, string $message): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage($message);
        RequestEncoder::encodeCall(new CallTarget('d.e', '/', null, 'M', $signature), $args, new CallOptions());
    }

    /**
     * @return array<string, array{0: string, 1: list<mixed>}>
     */
    public function replies(): array
    {
        return [
            'empty' => ['{"type":"","data":[]}', []],
            'string and uint' => ['{"type":"su","data":["a",4294967295]}', ['a', 4294967295]],
            'u64 max exact' => ['{"type":"t","data":[18446744073709551615]}', ['18446744073709551615']],
            'i64 min exact' => ['{"type":"x","data":[-9223372036854775808]}', [PHP_INT_MIN]],
            'i64 max' => ['{"type":"x","data":[9223372036854775807]}', [PHP_INT_MAX]],
            'u64 in a dict' => ['{"type":"a{st}","data":[{"max":18446744073709551615}]}', [['max' => '18446744073709551615']]],
            'bytes base64' => ['{"type":"ay","data":["AP/+"]}', ["\x00\xff\xfe"]],
            'bytes as numbers' => ['{"type":"ay","data":[[0,255,254]]}', ["\x00\xff\xfe"]],
            'empty bytes' => ['{"type":"ayay","data":["",[]]}', ['', '']],
            'list of bytes' => ['{"type":"aay","data":[["AA==","/w=="]]}', [["\x00", "\xff"]]],
            'single byte stays int' => ['{"type":"y","data":[7]}', [7]],
            'doubles' => ['{"type":"dddd","data":[1.5,2.0,3,-0.0]}', [1.5, 2.0, 3.0, -0.0]],
            'bool keys' => ['{"type":"a{bs}","data":[{"true":"y","false":"n"}]}', [[1 => 'y', 0 => 'n']]],
            'int keys' => ['{"type":"a{us}","data":[{"1":"a","2":"b"}]}', [[1 => 'a', 2 => 'b']]],
            'double keys' => ['{"type":"a{ds}","data":[{"1.5":"a"}]}', [['1.5' => 'a']]],
            'struct' => ['{"type":"(ayd)","data":[["/w==","NaN"]]}', null],
            'variants unwrapped' => ['{"type":"a{sv}","data":[{"a":{"type":"u","data":1},"b":{"type":"ay","data":"AA=="},"c":{"type":"v","data":{"type":"s","data":"x"}}}]}',
                [['a' => 1, 'b' => "\x00", 'c' => 'x']]],
            'empty dict' => ['{"type":"a{sv}","data":[{}]}', [[]]],
            'empty array' => ['{"type":"as","data":[[]]}', [[]]],
            'deep nesting' => ['{"type":"aaas","data":[[[["x"]]]]}', [[[['x']]]]],
        ];
    }

    /**
     * @dataProvider replies
     * @param list<mixed>|null $values
     */
    public function testRepliesBecomePhpValues(string $json, ?array $values): void
    {
        $decoded = ReplyDecoder::decodeReply($json, false);
        if ($values === null) {
            self::assertSame("\xff", $decoded[0][0]);
            self::assertNan($decoded[0][1]);
            return;
        }
        self::assertSame($values, $decoded);
    }

    public function testNonFiniteDoublesComeBackAsPhpFloats(): void
    {
        [$nan, $inf, $minusInf] = ReplyDecoder::decodeReply('{"type":"ddd","data":["NaN","Infinity","-Infinity"]}', false);
        self::assertNan($nan);
        self::assertSame(INF, $inf);
        self::assertSame(-INF, $minusInf);
        self::assertSame('-0', (string) ReplyDecoder::decodeReply('{"type":"d","data":[-0.0]}', false)[0]);
    }

    public function testLargeBytesArgumentsAreSplicedIntoTheText(): void
    {
        $bytes = random_bytes(70000) . "\x00\"\\";
        $typed = ['type' => 'ay', 'data' => base64_encode($bytes)];
        $options = CallOptions::fromArray([]);
        foreach ([[[$bytes, 'x'], 'ays'], [[new Bytes($bytes), 'x'], 'ays'], [[new Bytes($bytes), 'x'], null]] as [$args, $signature]) {
            $json = RequestEncoder::encodeCall(new CallTarget('d.e', '/', null, 'M', $signature), $args, $options);
            self::assertStringNotContainsString('skypebus-bytes-', $json);
            self::assertSame([$typed, 'x'], json_decode($json, true)['args']);
        }
        // Two in one batch (callMany encodes its requests at once), and small bytes as before.
        $batch = [
            RequestEncoder::callRequest(new CallTarget('d.e', '/', null, 'M', 'ay'), [$bytes], $options),
            RequestEncoder::callRequest(new CallTarget('d.e', '/', null, 'M', 'ayay'), [$bytes . 'x', "\x01"], $options),
        ];
        $decoded = json_decode(RequestEncoder::encode($batch), true);
        self::assertSame([$typed], $decoded[0]['args']);
        self::assertSame(
            [['type' => 'ay', 'data' => base64_encode($bytes . 'x')], ['type' => 'ay', 'data' => 'AQ==']],
            $decoded[1]['args']
        );
    }

    public function testPackedArraysComeBackAsLists(): void
    {
        $b64 = static function (string $format, array $values): string {
            return base64_encode(pack($format . '*', ...$values));
        };
        $reply = static function (string $type, string $data): string {
            return '{"type":"' . $type . '","data":["' . $data . '"]}';
        };
        self::assertSame([[1, -2, 2147483647]], ReplyDecoder::decodeReply($reply('ai', $b64('l', [1, -2, 2147483647])), true));
        self::assertSame([[-32768, 7]], ReplyDecoder::decodeReply($reply('an', $b64('s', [-32768, 7])), true));
        self::assertSame([[65535]], ReplyDecoder::decodeReply($reply('aq', $b64('v', [65535])), true));
        self::assertSame([[4294967295]], ReplyDecoder::decodeReply($reply('au', $b64('V', [4294967295])), true));
        self::assertSame([[PHP_INT_MIN, PHP_INT_MAX]], ReplyDecoder::decodeReply($reply('ax', $b64('q', [PHP_INT_MIN, PHP_INT_MAX])), true));
        self::assertSame([[5, '18446744073709551615']], ReplyDecoder::decodeReply($reply('at', $b64('P', [5, -1])), true));
        [$doubles] = ReplyDecoder::decodeReply($reply('ad', $b64('e', [1.5, -0.0, NAN])), true);
        self::assertSame(1.5, $doubles[0]);
        self::assertSame('-0', (string) $doubles[1]);
        self::assertNan($doubles[2]);
        self::assertSame([[]], ReplyDecoder::decodeReply($reply('ai', ''), true));
        // Inside other values, through the signature walk.
        $i7 = $b64('l', [7]);
        self::assertSame(
            [[[7], []], ['k' => [7]], [7]],
            ReplyDecoder::decodeReply('{"type":"aaia{sai}v","data":[["' . $i7 . '",""],{"k":"' . $i7 . '"},{"type":"ai","data":"' . $i7 . '"}]}', false)
        );
        // Plain JSON lists are still read as they are.
        self::assertSame([[1, 2]], ReplyDecoder::decodeReply('{"type":"ai","data":[[1,2]]}', true));
        $this->expectException(DBusException::class);
        ReplyDecoder::decodeReply($reply('ai', base64_encode("\x01\x02\x03")), true);
    }

    /**
     * The serialize() form of replies (skypebus_call_into's SKYPEBUS_REPLY_PHP), and its packed
     * form for a reply of one array of numbers.
     */
    public function testSerializedRepliesBecomePhpValues(): void
    {
        self::assertSame([], ReplyDecoder::decodeSerialized('a:00000000:{}'));
        self::assertSame(
            ['a', "\x00\xff", [1 => 'y', 'k' => -3], '18446744073709551615'],
            ReplyDecoder::decodeSerialized('a:00000004:{i:0;s:1:"a";i:1;s:2:"' . "\x00\xff" . '";i:2;a:00000002:{i:1;s:1:"y";s:1:"k";i:-3;}i:3;s:20:"18446744073709551615";}')
        );
        [$inf] = ReplyDecoder::decodeSerialized('a:1:{i:0;d:INF;}');
        self::assertSame(INF, $inf);
        self::assertSame([[1, -2, 2147483647]], ReplyDecoder::decodeSerialized('Pi' . pack('l*', 1, -2, 2147483647)));
        self::assertSame([[5, '18446744073709551615']], ReplyDecoder::decodeSerialized('Pt' . pack('P*', 5, -1)));
        self::assertSame([[-1.5]], ReplyDecoder::decodeSerialized('Pd' . pack('e', -1.5)));
        self::assertSame([[]], ReplyDecoder::decodeSerialized('Pq'));
        // No class of the program is instantiated from the text (allowed_classes false).
        [$object] = ReplyDecoder::decodeSerialized('a:1:{i:0;O:8:"stdClass":0:{}}');
        self::assertInstanceOf(\__PHP_Incomplete_Class::class, $object);
        foreach (['', 'b:0;', 's:1:"a";', 'a:1:{i:0;', 'Pi' . "\x01\x02\x03", 'Pz' . "\x01\x02", 'P'] as $bad) {
            try {
                ReplyDecoder::decodeSerialized($bad);
                self::fail('accepted ' . json_encode($bad));
            } catch (DBusException $e) {
                self::assertStringContainsString('Malformed reply', $e->getMessage());
            }
        }
    }

    public function testTypedVariantsComeBackAsVariantObjects(): void
    {
        $json = '{"type":"va{sv}","data":[{"type":"ay","data":"AP8="},{"u":{"type":"t","data":18446744073709551615},"v":{"type":"v","data":{"type":"d","data":"NaN"}}}]}';
        [$bytes, $dict] = ReplyDecoder::decodeReply($json, true);
        self::assertInstanceOf(Variant::class, $bytes);
        self::assertSame('ay', $bytes->getSignature());
        self::assertSame("\x00\xff", $bytes->getValue());
        self::assertSame('t', $dict['u']->getSignature());
        self::assertSame('18446744073709551615', $dict['u']->getValue());
        self::assertSame('v', $dict['v']->getSignature());
        self::assertSame('d', $dict['v']->getValue()->getSignature());
        self::assertNan($dict['v']->getValue()->getValue());
        // Typed output goes back in unchanged.
        self::assertSame(
            '[{"type":"ay","data":"AP8="},{"u":{"type":"t","data":"18446744073709551615"},"v":{"type":"v","data":{"type":"d","data":"NaN"}}}]',
            self::argsJson([$bytes, $dict], 'va{sv}')
        );
    }

    public function testOneMebibyteOfBytesStaysCheap(): void
    {
        $bytes = random_bytes(1 << 20);
        $json = '{"type":"ay","data":["' . base64_encode($bytes) . '"]}';
        $start = microtime(true);
        self::assertSame($bytes, ReplyDecoder::decodeReply($json, false)[0]);
        $request = RequestEncoder::encodeCall(new CallTarget('d.e', '/', null, 'M', 'ay'), [$bytes], new CallOptions());
        self::assertLessThan(1.5 * (1 << 20), strlen($request));
        // Not a timing assertion: the conversion is base64, never a million-element array.
        self::assertLessThan(60.0, microtime(true) - $start);
    }

    /**
     * @return array<string, array{0: string}>
     */
    public function malformedReplies(): array
    {
        return [
            'not json' => ['{'],
            'no envelope' => ['[1]'],
            'no data' => ['{"type":"s"}'],
            'count mismatch' => ['{"type":"sd","data":["a"]}'],
            'bad base64' => ['{"type":"ay","data":["***"]}'],
            'bad double' => ['{"type":"d","data":["Nope"]}'],
            'variant not typed' => ['{"type":"v","data":[1]}'],
        ];
    }

    /**
     * @dataProvider malformedReplies
     */
    public function testMalformedRepliesAreErrors(string $json): void
    {
        try {
            ReplyDecoder::decodeReply($json, false);
            self::fail('decoded ' . $json);
        } catch (DBusException $e) {
            self::assertSame('net.skypebus.Error.InvalidMessage', $e->getErrorName());
        }
    }

    public function testDoubleObjectsAndKeys(): void
    {
        self::assertSame('NaN', RequestEncoder::doubleToJson(NAN));
        self::assertSame(1.5, RequestEncoder::doubleToJson(1.5));
        self::assertSame('true', RequestEncoder::keyToJson(true));
        self::assertSame('2.0', RequestEncoder::keyToJson(2.0));
        self::assertSame('42', RequestEncoder::keyToJson(42));
        self::assertTrue(Values::isList([]));
        self::assertTrue(Values::isList(['a', 'b']));
        self::assertFalse(Values::isList([1 => 'a']));
        self::assertFalse(Values::isList(['a' => 1]));
        self::assertSame('int', Values::describe(1));
        self::assertSame(Double::class, Values::describe(new Double(1.0)));
    }
}
