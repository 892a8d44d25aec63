<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Unit;

use PHPUnit\Framework\TestCase;
use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\UnknownObjectException;
use SkypeBus\IncomingCall;
use SkypeBus\Internal\Export;
use SkypeBus\Internal\ObjectSchema;
use SkypeBus\Internal\ReplyDecoder;
use SkypeBus\Internal\RequestEncoder;
use SkypeBus\PropertyWriteHandler;
use SkypeBus\Type\Bytes;
use SkypeBus\Type\UInt32;
use SkypeBus\Type\Variant;

/**
 * The PHP side of serving without the library: reading the schema the library parses from
 * introspection XML (fixtures, checked against the library by ServeTest), binding its methods
 * to a handler by exact name, running the handler for a call event and encoding its answer;
 * and the JSON of signals and replies.
 */
final class ServeUnitTest extends TestCase
{
    public const XML = <<<'XML'
<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node name="/org/example/Obj">
  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get"><arg type="s"/><arg type="s"/><arg type="v" direction="out"/></method>
  </interface>
  <interface name="org.example.First">
    <method name="Sum"><arg name="a" type="u" direction="in"/><arg name="b" type="u"/><arg name="sum" type="u" direction="out"/></method>
    <method name="Split"><arg type="s"/><arg type="s" direction="out"/><arg type="ay" direction="out"/><arg type="a{sv}" direction="out"/></method>
    <method name="Nothing"><annotation name="org.freedesktop.DBus.Method.NoReply" value="true"/></method>
    <property name="Volume" type="d" access="readwrite"/>
    <property name="Data" type="ay" access="read"/>
    <signal name="Changed"><arg type="s"/></signal>
  </interface>
  <interface name="org.example.Second">
    <method name="Sum"><arg type="x"/><arg type="x" direction="out"/></method>
    <method name="Fail"><arg type="s"/></method>
  </interface>
  <node name="child">
    <interface name="org.example.Nested"><method name="Ignored"/></interface>
  </node>
</node>
XML;

    /**
     * What skypebus_export_schema returns for XML, for the unit tests (which run without the
     * library). ServeTest checks that the library still returns exactly this.
     */
    public const XML_SCHEMA = <<<'JSON'
{
    "interfaces": [
        {
            "name": "org.example.First",
            "methods": [
                {
                    "name": "Sum",
                    "in_signature": "uu",
                    "out_signature": "u",
                    "in": [
                        {
                            "name": "a",
                            "type": "u"
                        },
                        {
                            "name": "b",
                            "type": "u"
                        }
                    ],
                    "out": [
                        {
                            "name": "sum",
                            "type": "u"
                        }
                    ],
                    "annotations": {}
                },
                {
                    "name": "Split",
                    "in_signature": "s",
                    "out_signature": "saya{sv}",
                    "in": [
                        {
                            "name": null,
                            "type": "s"
                        }
                    ],
                    "out": [
                        {
                            "name": null,
                            "type": "s"
                        },
                        {
                            "name": null,
                            "type": "ay"
                        },
                        {
                            "name": null,
                            "type": "a{sv}"
                        }
                    ],
                    "annotations": {}
                },
                {
                    "name": "Nothing",
                    "in_signature": "",
                    "out_signature": "",
                    "in": [],
                    "out": [],
                    "annotations": {
                        "org.freedesktop.DBus.Method.NoReply": "true"
                    }
                }
            ],
            "properties": [
                {
                    "name": "Volume",
                    "type": "d",
                    "access": "readwrite",
                    "emits_changed": "true",
                    "annotations": {}
                },
                {
                    "name": "Data",
                    "type": "ay",
                    "access": "read",
                    "emits_changed": "true",
                    "annotations": {}
                }
            ],
            "signals": [
                {
                    "name": "Changed",
                    "signature": "s",
                    "args": [
                        {
                            "name": null,
                            "type": "s"
                        }
                    ],
                    "annotations": {}
                }
            ],
            "annotations": {}
        },
        {
            "name": "org.example.Second",
            "methods": [
                {
                    "name": "Sum",
                    "in_signature": "x",
                    "out_signature": "x",
                    "in": [
                        {
                            "name": null,
                            "type": "x"
                        }
                    ],
                    "out": [
                        {
                            "name": null,
                            "type": "x"
                        }
                    ],
                    "annotations": {}
                },
                {
                    "name": "Fail",
                    "in_signature": "s",
                    "out_signature": "",
                    "in": [
                        {
                            "name": null,
                            "type": "s"
                        }
                    ],
                    "out": [],
                    "annotations": {}
                }
            ],
            "properties": [],
            "signals": [],
            "annotations": {}
        }
    ]
}
JSON;

    /**
     * More XML with the schema the library gives for it, checked the same way.
     *
     * @var array<string, array{0: string, 1: string}>
     */
    public const SCHEMAS = [
        'empty' => ['<node/>', '{"interfaces":[]}'],
        'take' => ['<node><interface name="a.B"><method name="Take"><arg type="ay"/><arg type="v"/><arg type="d"/><arg type="a{bs}"/></method></interface></node>', '{"interfaces":[{"name":"a.B","methods":[{"name":"Take","in_signature":"ayvda{bs}","out_signature":"","in":[{"name":null,"type":"ay"},{"name":null,"type":"v"},{"name":null,"type":"d"},{"name":null,"type":"a{bs}"}],"out":[],"annotations":{}}],"properties":[],"signals":[],"annotations":{}}]}'],
        'property' => ['<node><interface name="a.B"><property name="P" type="ay" access="readwrite"/></interface></node>', '{"interfaces":[{"name":"a.B","methods":[],"properties":[{"name":"P","type":"ay","access":"readwrite","emits_changed":"true","annotations":{}}],"signals":[],"annotations":{}}]}'],
    ];

    /** The schema of XML_SCHEMA, or of one of SCHEMAS. */
    private static function schema(?string $which = null): ObjectSchema
    {
        return ObjectSchema::fromJson(json_decode($which === null ? self::XML_SCHEMA : self::SCHEMAS[$which][1], true));
    }

    /**
     * @return object a handler for XML
     */
    private static function handler(): object
    {
        return new class {
            /** @var list<array{0: string, 1: list<mixed>}> */
            public $calls = [];

            /**
             * @param int|string $a
             * @param int|string $b
             * @return int|string
             */
            public function Sum($a, $b = 0)
            {
                $this->calls[] = ['Sum', func_get_args()];
                return is_int($a) && is_int($b) ? $a + $b : $a;
            }

            /**
             * @return list<mixed>
             */
            public function Split(string $text): array
            {
                $this->calls[] = ['Split', [$text]];
                return [$text, "\x00" . $text, ['n' => new UInt32(7), 'v' => 1.5]];
            }

            public function Nothing(): string
            {
                $this->calls[] = ['Nothing', []];
                return 'ignored: no out arguments';
            }

            public function Fail(string $how): void
            {
                if ($how === 'dbus') {
                    throw new UnknownObjectException('org.freedesktop.DBus.Error.UnknownObject', 'gone');
                }
                if ($how === 'custom') {
                    throw new DBusException('com.example.Error.Custom', 'custom');
                }
                if ($how === 'type') {
                    (static function (string $text): void {
                    })(...[[]]);
                }
                throw new \LogicException('plain');
            }

            public function NotInTheXml(): void
            {
            }
        };
    }

    /**
     * @param list<mixed> $data
     * @return array<string, mixed>
     */
    private static function event(string $interface, string $member, string $type, array $data): array
    {
        return ['kind' => 'call', 'call' => 1, 'sender' => ':1.9', 'path' => '/org/example/Obj', 'interface' => $interface,
                'member' => $member, 'type' => $type, 'data' => $data, 'no_reply' => false];
    }

    /**
     * @param array<string, mixed> $event
     * @return array{0: string, 1: string|null, 2?: string}
     */
    private static function answer(Export $export, array $event): array
    {
        $call = new IncomingCall($event['sender'], $event['path'], $event['interface'], $event['member'], $event['type'], $event['no_reply']);
        $answer = $export->answerCall($event, $call);
        // A reply keeps the values its JSON was made of until it is sent (an Fd among them
        // must stay open): the JSON is what these tests check.
        if ($answer[0] === 'reply' && $answer[1] !== null) {
            self::assertArrayHasKey('values', $answer);
            unset($answer['values']);
        }
        return $answer;
    }

    public function testSchemaReadsWhatTheLibraryReads(): void
    {
        $schema = self::schema();
        self::assertSame(['org.example.First', 'org.example.Second'], $schema->interfaces(), 'standard interfaces and nested nodes left out');
        self::assertSame(['in' => ['u', 'u'], 'out' => ['u']], $schema->methods('org.example.First')['Sum']);
        self::assertSame(['s', 'ay', 'a{sv}'], $schema->outTypes('org.example.First', 'Split'));
        self::assertSame([], $schema->outTypes('org.example.First', 'Nothing'));
        self::assertSame(['x'], $schema->outTypes('org.example.Second', 'Sum'));
        self::assertNull($schema->outTypes('org.example.First', 'sum'), 'names are exact');
        self::assertNull($schema->outTypes('org.example.Nested', 'Ignored'));
        self::assertSame('d', $schema->propertyType('org.example.First', 'Volume'));
        self::assertSame('ay', $schema->propertyType('org.example.First', 'Data'));
        self::assertNull($schema->propertyType('org.example.First', 'volume'));
        self::assertSame([], self::schema('empty')->interfaces());
    }

    public function testTheRootElementMustBeANode(): void
    {
        ObjectSchema::assertNodeRoot(self::XML);
        ObjectSchema::assertNodeRoot('<node/>');
        ObjectSchema::assertNodeRoot("<?xml version=\"1.0\"?>\n<!-- c --><!DOCTYPE node [<!ENTITY e \"x\">]>\n<node name=\"/a\"></node>");
        ObjectSchema::assertNodeRoot('<not-xml');
        ObjectSchema::assertNodeRoot('');
        foreach (['<interface name="a.B"/>' => 'interface', '<?xml version="1.0"?><nodes/>' => 'nodes'] as $xml => $root) {
            try {
                ObjectSchema::assertNodeRoot($xml);
                self::fail('accepted ' . $xml);
            } catch (InvalidArgumentException $e) {
                self::assertSame('The introspection XML must be a <node> document, not <' . $root . '>', $e->getMessage());
            }
        }
    }

    public function testBindingIsByExactName(): void
    {
        $schema = self::schema();
        self::assertSame(
            ['org.example.First' => ['Sum' => 'Sum', 'Split' => 'Split', 'Nothing' => 'Nothing'], 'org.example.Second' => ['Sum' => 'Sum', 'Fail' => 'Fail']],
            $schema->bind(self::handler())
        );
        $lower = new class {
            public function sum(): void
            {
            }

            private function Split(): void
            {
            }
        };
        try {
            $schema->bind($lower);
            self::fail('bound a handler whose names differ in case');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString('org.example.First.Sum (the method sum() differs in case; D-Bus names are matched exactly)', $e->getMessage());
            self::assertStringContainsString('org.example.First.Split (no public method', $e->getMessage());
            self::assertStringContainsString('org.example.Second.Fail', $e->getMessage());
        }
        $magic = new class {
            /**
             * @param list<mixed> $args
             */
            public function __call(string $name, array $args): string
            {
                return $name;
            }

            public function Sum(): int
            {
                return 1;
            }
        };
        self::assertSame(
            ['org.example.First' => ['Sum' => 'Sum', 'Split' => '__call', 'Nothing' => '__call'], 'org.example.Second' => ['Sum' => 'Sum', 'Fail' => '__call']],
            $schema->bind($magic)
        );
    }

    public function testACallRunsTheHandlerAndItsResultIsTypedByTheOutArguments(): void
    {
        $handler = self::handler();
        $export = new Export($handler, self::schema(), false);
        self::assertSame(['reply', '{"args":[7],"bytes":"base64"}'], self::answer($export, self::event('org.example.First', 'Sum', 'uu', [3, 4])));
        self::assertSame(['Sum', [3, 4]], $handler->calls[0]);
        self::assertSame(
            ['reply', '{"args":["a/b",{"type":"ay","data":"AGEvYg=="},{"n":{"type":"u","data":7},"v":1.5}],"bytes":"base64"}'],
            self::answer($export, self::event('org.example.First', 'Split', 's', ['a/b']))
        );
        self::assertSame(['reply', null], self::answer($export, self::event('org.example.First', 'Nothing', '', [])));
        self::assertSame(
            ['reply', '{"args":["18446744073709551615"],"bytes":"base64"}'],
            self::answer($export, self::event('org.example.Second', 'Sum', 'x', ['18446744073709551615'])),
            'values the handler got as strings go back as they came'
        );
        self::assertSame(
            ['error', 'org.freedesktop.DBus.Error.UnknownMethod', 'No method org.example.First.NotInTheXml on /org/example/Obj'],
            self::answer($export, self::event('org.example.First', 'NotInTheXml', '', []))
        );
    }

    public function testCallArgumentsAreDecoded(): void
    {
        $seen = new class {
            /** @var list<mixed> */
            public $args = [];

            /**
             * @param mixed ...$args
             */
            public function Take(...$args): void
            {
                $this->args = $args;
            }
        };
        $event = self::event('a.B', 'Take', 'ayvda{bs}', ['AP8=', ['type' => 'ay', 'data' => 'AQ=='], 'NaN', ['true' => 'yes']]);
        self::assertSame(['reply', null], self::answer(new Export($seen, self::schema('take'), false), $event));
        self::assertSame("\x00\xff", $seen->args[0]);
        self::assertSame("\x01", $seen->args[1]);
        self::assertNan($seen->args[2]);
        self::assertSame([1 => 'yes'], $seen->args[3]);
        self::answer(new Export($seen, self::schema('take'), true), $event);
        self::assertInstanceOf(Variant::class, $seen->args[1]);
        self::assertSame('ay', $seen->args[1]->getSignature());
    }

    public function testErrors(): void
    {
        $export = new Export(self::handler(), self::schema(), false);
        $fail = function (string $how) use ($export): array {
            return self::answer($export, self::event('org.example.Second', 'Fail', 's', [$how]));
        };
        self::assertSame(['error', 'org.freedesktop.DBus.Error.UnknownObject', 'gone'], $fail('dbus'));
        self::assertSame(['error', 'com.example.Error.Custom', 'custom'], $fail('custom'));
        self::assertSame(['error', 'org.freedesktop.DBus.Error.Failed', 'plain'], $fail('plain'));
        [$kind, $name, $message] = $fail('type');
        self::assertSame(['error', 'org.freedesktop.DBus.Error.Failed'], [$kind, $name]);
        self::assertStringContainsString('string, array given', $message);

        $wrong = new class {
            /** @return mixed */
            public function Split()
            {
                return 'one value';
            }

            /** @return mixed */
            public function Sum()
            {
                return null;
            }

            public function Nothing(): void
            {
            }

            public function Fail(): void
            {
            }
        };
        $export = new Export($wrong, self::schema(), false);
        self::assertSame(
            ['error', 'org.freedesktop.DBus.Error.Failed', 'org.example.First.Split returned string, but its out signature "saya{sv}" needs a list of 3 values'],
            self::answer($export, self::event('org.example.First', 'Split', 's', ['x']))
        );
        self::assertSame(
            ['error', 'org.freedesktop.DBus.Error.Failed', 'The return value of org.example.First.Sum does not fit its out signature "u": null cannot be sent over D-Bus'],
            self::answer($export, self::event('org.example.First', 'Sum', 'uu', [1, 2]))
        );
    }

    public function testPropertyWrites(): void
    {
        $event = ['kind' => 'set_property', 'call' => 2, 'sender' => ':1.1', 'path' => '/', 'interface' => 'a.B', 'name' => 'P', 'type' => 'ay', 'data' => 'AP8=', 'no_reply' => false];
        self::assertSame(['reply', null], (new Export(new \stdClass(), self::schema('property'), false))->answerPropertyWrite($event), 'accepted without a PropertyWriteHandler');
        $vetting = new class implements PropertyWriteHandler {
            /** @var list<mixed> */
            public $seen = [];

            /**
             * @param mixed $value
             */
            public function onPropertyWrite(string $interface, string $name, $value): void
            {
                $this->seen[] = [$interface, $name, $value];
                if ($value === 'no') {
                    throw new DBusException('org.freedesktop.DBus.Error.PropertyReadOnly', 'not now');
                }
            }
        };
        $export = new Export($vetting, self::schema('property'), false);
        self::assertSame(['reply', null], $export->answerPropertyWrite($event));
        self::assertSame([['a.B', 'P', "\x00\xff"]], $vetting->seen);
        self::assertSame(['error', 'org.freedesktop.DBus.Error.PropertyReadOnly', 'not now'], $export->answerPropertyWrite(['data' => 'bm8='] + $event));
    }

    public function testSignalAndReplyJson(): void
    {
        self::assertSame(
            '{"destination":":1.5","path":"/a","interface":"a.B","member":"C","signature":"ayu","args":[{"type":"ay","data":"AP8="},7],"bytes":"base64"}',
            RequestEncoder::encodeSignal('/a', 'a.B', 'C', ["\x00\xff", 7], 'ayu', ':1.5')
        );
        self::assertSame('{"path":"/a","interface":"a.B","member":"C","bytes":"base64"}', RequestEncoder::encodeSignal('/a', 'a.B', 'C', [], null, null));
        self::assertSame(
            '{"path":"/a","interface":"a.B","member":"C","args":["text",{"type":"ay","data":"AA=="}]}',
            RequestEncoder::encodeSignal('/a', 'a.B', 'C', ['text', new Bytes("\x00")], null, ''),
            'no base64 where a plain string could be taken for bytes'
        );
        self::assertSame('{"path":"/a","interface":"a.B","member":"C","args":[1,2.5],"bytes":"base64"}', RequestEncoder::encodeSignal('/a', 'a.B', 'C', [1, 2.5], null, null));
        self::assertSame('{"args":["x",{"type":"ay","data":"eA=="},"NaN"],"bytes":"base64"}', RequestEncoder::encodeReply(['x', 'x', NAN], ['s', 'ay', 'd']));
        $this->expectException(InvalidArgumentException::class);
        RequestEncoder::encodeSignal('/a', 'a.B', 'C', [1], 'uu', null);
    }

    public function testDecodingMessageBodies(): void
    {
        self::assertSame(['x', "\x00"], ReplyDecoder::decodeValues(['x', 'AA=='], 'say', false));
        self::assertSame([1, 2], ReplyDecoder::decodeValues([1, 2], 'uu', false));
        self::assertSame(['18446744073709551615'], ReplyDecoder::decodeJson('[18446744073709551615]'));
        $this->expectException(DBusException::class);
        ReplyDecoder::decodeValues(['AA=='], 'ayay', false);
    }
}
