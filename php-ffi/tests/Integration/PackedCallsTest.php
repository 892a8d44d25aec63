<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\SkypeBusException;
use SkypeBus\Internal\BodyPacker;
use SkypeBus\Internal\Signature;
use SkypeBus\Tests\Support\EchoPeer;
use SkypeBus\Tests\Support\PrivateBus;
use SkypeBus\Type\Bytes;
use SkypeBus\Type\Int32;

/**
 * Calls whose arguments go packed as the message body (BodyPacker, skypebus_call_packed_into)
 * against the same calls through the JSON path (callMany(), which always sends JSON), through a
 * dbusmock echo peer that replies with the wire signature it received and the values: the same
 * wire types and the same values back for every type the packer takes, the JSON path's typing
 * for everything it does not take, and the JSON path's errors for what the library refuses.
 */
class PackedCallsTest extends IntegrationTestCase
{
    protected static function startPeers(PrivateBus $bus): void
    {
        EchoPeer::start($bus);
    }

    /**
     * [the reply of call(), the reply of the same call through callMany()], each an exception
     * when it failed.
     *
     * @param list<mixed> $args
     * @return array{0: mixed, 1: mixed}
     */
    private function bothWays(string $signature, array $args): array
    {
        $method = EchoPeer::method($this->bus, static::$private, $signature);
        try {
            $packed = $this->bus->call(EchoPeer::NAME, EchoPeer::PATH, EchoPeer::INTERFACE, $method, $args, $signature);
        } catch (SkypeBusException $e) {
            $packed = $e;
        }
        try {
            // (A string that is not UTF-8 fails the whole batch: it cannot be written as JSON.)
            $json = $this->bus->callMany([[EchoPeer::NAME, EchoPeer::PATH, EchoPeer::INTERFACE, $method, $args, $signature]])[0];
        } catch (SkypeBusException $e) {
            $json = $e;
        }
        return [$packed, $json];
    }

    /**
     * @return array<string, array{0: string, 1: list<mixed>}>
     */
    public function packedArguments(): array
    {
        return [
            'y' => ['y', [255]],
            'y zero' => ['y', [0]],
            'b' => ['b', [true]],
            'b false' => ['b', [false]],
            'n' => ['n', [-32768]],
            'q' => ['q', [65535]],
            'i' => ['i', [-2147483648]],
            'u' => ['u', [4294967295]],
            'x' => ['x', [PHP_INT_MIN]],
            't' => ['t', [PHP_INT_MAX]],
            'd' => ['d', [0.1]],
            'd minus zero' => ['d', [-0.0]],
            'd tiny' => ['d', [5e-324]],
            's' => ['s', ["héllo\nwörld \u{1F600}"]],
            's empty' => ['s', ['']],
            'o' => ['o', ['/org/example/Thing_1']],
            'o root' => ['o', ['/']],
            'g' => ['g', ['a{sv}(iu)']],
            'ay' => ['ay', ["\x00\xff\xfe\x80 binary \x00"]],
            'ay empty' => ['ay', ['']],
            'ay Bytes' => ['ay', [new Bytes("\x01\x02")]],
            'ay 1 MiB' => ['ay', [str_repeat("\x00\xff", 1 << 19)]],
            'ab' => ['ab', [[true, false, true]]],
            'an' => ['an', [[-32768, 0, 32767]]],
            'aq' => ['aq', [[0, 65535]]],
            'ai' => ['ai', [[-2147483648, 0, 2147483647]]],
            'ai 100k' => ['ai', [range(-50000, 49999)]],
            'au' => ['au', [[0, 4294967295]]],
            'ax' => ['ax', [[PHP_INT_MIN, -1, PHP_INT_MAX]]],
            'at' => ['at', [[0, PHP_INT_MAX]]],
            'ad' => ['ad', [[0.5, -1e300, -0.0]]],
            'as' => ['as', [['a', '', 'ü', 'four']]],
            'ao' => ['ao', [['/', '/a/b']]],
            'ag' => ['ag', [['', 'ii', 'a{sv}']]],
            'empty arrays' => ['aiaxasad', [[], [], [], []]],
            'alignment' => ['yxyqyiydysyayyaxyad', [1, -5, 2, 3, 4, -6, 5, 1.5, 6, 'str', 7, 'by', 8, [9], 10, [0.25]]],
            'many strings' => ['sosgsay', ['a', '/b', 'ccc', 'dd', 'e', 'f']],
        ];
    }

    /**
     * @dataProvider packedArguments
     * @param list<mixed> $args
     */
    public function testPackedCallsEqualTheJsonPath(string $signature, array $args): void
    {
        $types = Signature::split($signature);
        self::assertNotNull(BodyPacker::pack($types, $args), 'these arguments go packed');
        [$packed, $json] = $this->bothWays($signature, $args);
        self::assertIsArray($packed);
        // (serialize(): -0.0 and 0.0 differ there, and NAN equals NAN.)
        self::assertSame(serialize($json), serialize($packed));
        self::assertSame($signature, $packed[0], 'the wire signature the peer received');
    }

    /**
     * Arguments the packer leaves to the JSON path, whose typing (a conversion or an error) they
     * keep.
     *
     * @return array<string, array{0: string, 1: list<mixed>}>
     */
    public function jsonArguments(): array
    {
        return [
            'numeric string for i' => ['i', ['42']],
            'integral float for u' => ['u', [2.0]],
            'float for i' => ['i', [2.5]],
            'int for d' => ['d', [3]],
            'NAN' => ['d', [NAN]],
            'INF' => ['d', [INF]],
            'bool for i' => ['i', [true]],
            'int for b' => ['b', [1]],
            'out of range y' => ['y', [256]],
            'out of range i' => ['i', [2147483648]],
            'negative t' => ['t', [-1]],
            'null' => ['s', [null]],
            'int for s' => ['s', [5]],
            'typed value' => ['i', [new Int32(7)]],
            'list of ints for ay' => ['ay', [[1, 2, 3]]],
            'string in ai' => ['ai', [[1, '2', 3]]],
            'float in ai' => ['ai', [[1, 2.0]]],
            'out of range in an' => ['an', [[1, 40000]]],
            'associative array for ai' => ['ai', [['a' => 1]]],
            'list with holes for as' => ['as', [[1 => 'a', 0 => 'b']]],
            'int in ad' => ['ad', [[1.5, 2]]],
            'too many' => ['s', ['a', 'b']],
            'too few' => ['ss', ['a']],
            'not a list' => ['s', ['x' => 'a']],
        ];
    }

    /**
     * @dataProvider jsonArguments
     * @param list<mixed> $args
     */
    public function testOtherArgumentsKeepTheJsonPathsTyping(string $signature, array $args): void
    {
        $types = Signature::split($signature);
        if (count($types) === count($args) && $args === array_values($args)) {
            self::assertNull(BodyPacker::pack($types, $args), 'these arguments go as JSON');
        }
        [$packed, $json] = $this->bothWays($signature, $args);
        if ($json instanceof \Throwable) {
            self::assertInstanceOf(get_class($json), $packed);
            self::assertSame($json->getMessage(), $packed->getMessage());
            self::assertSame($json->getCode(), $packed->getCode());
        } else {
            self::assertSame(serialize($json), serialize($packed));
        }
    }

    /**
     * Strings the library refuses in a packed body: refused before anything is sent, then the
     * JSON path gives its own error, the one a call gave before there was a packed path.
     *
     * @return array<string, array{0: string, 1: list<mixed>, 2: string}>
     */
    public function refusedStrings(): array
    {
        return [
            'not UTF-8' => ['s', ["\xff\xfe"], 'net.skypebus.Error.InvalidUtf8'],
            'NUL' => ['s', ["a\0b"], 'net.skypebus.Error.TypeMismatch'],
            'bad object path' => ['o', ['a/b'], 'net.skypebus.Error.TypeMismatch'],
            'bad signature' => ['g', ['a{'], 'net.skypebus.Error.TypeMismatch'],
            'not UTF-8 in as' => ['as', [['ok', "\xc3"]], 'net.skypebus.Error.InvalidUtf8'],
        ];
    }

    /**
     * @dataProvider refusedStrings
     * @param list<mixed> $args
     */
    public function testStringsTheLibraryRefusesGiveTheJsonPathsErrors(string $signature, array $args, string $name): void
    {
        self::assertNotNull(BodyPacker::pack(Signature::split($signature), $args), 'PHP packs them');
        [$packed, $json] = $this->bothWays($signature, $args);
        self::assertInstanceOf(InvalidArgumentException::class, $json);
        self::assertInstanceOf(InvalidArgumentException::class, $packed);
        self::assertSame($json->getMessage(), $packed->getMessage());
        self::assertSame($name, $packed->getErrorName(), $packed->getMessage());
    }

    /**
     * Large replies of exactly one array of numbers, which Native reads from the library's
     * memory (or, for t, with unpack()), against the same replies through callMany()'s JSON.
     */
    public function testLargeArraysOfNumbersComeBackAsTheyWent(): void
    {
        $lists = [
            'an' => range(-32768, 32767, 7),
            'aq' => range(0, 65535, 7),
            'ai' => array_merge([-2147483648, 2147483647], range(-50000, 50000, 3)),
            'au' => array_merge([0, 4294967295], range(0, 100000, 3)),
            'ax' => array_merge([PHP_INT_MIN, PHP_INT_MAX], range(-5000, 5000)),
            'at' => array_merge([0, PHP_INT_MAX], range(0, 5000)),
            'ad' => array_merge([-0.0, 0.0, INF, -INF, NAN, 5e-324, 1.7976931348623157e308], range(0.5, 2000.5)),
            // One byte array: "Py" and its bytes, read as one string.
            'ay' => str_repeat("\x00\xff binary", 100000),
        ];
        foreach ($lists as $signature => $list) {
            $method = 'Array_' . $signature;
            $this->bus->call(
                EchoPeer::NAME,
                EchoPeer::PATH,
                'org.freedesktop.DBus.Mock',
                'AddMethod',
                [EchoPeer::INTERFACE, $method, $signature, $signature, 'ret = args[0]'],
                'sssss'
            );
            $packed = $this->bus->call(EchoPeer::NAME, EchoPeer::PATH, EchoPeer::INTERFACE, $method, [$list], $signature);
            $json = $this->bus->callMany([[EchoPeer::NAME, EchoPeer::PATH, EchoPeer::INTERFACE, $method, [$list], $signature]])[0];
            self::assertSame(serialize([$list]), serialize($packed), $signature);
            self::assertSame(serialize($json), serialize($packed), $signature);
        }
        // Small ones are read by ReplyDecoder.
        foreach (['ay' => "\x00\xff", 'ai' => [1, -1], 'ad' => [NAN]] as $signature => $small) {
            $reply = $this->bus->call(EchoPeer::NAME, EchoPeer::PATH, EchoPeer::INTERFACE, 'Array_' . $signature, [$small], $signature);
            self::assertSame(serialize([$small]), serialize($reply), $signature);
        }
        self::assertSame([''], $this->bus->call(EchoPeer::NAME, EchoPeer::PATH, EchoPeer::INTERFACE, 'Array_ay', [''], 'ay'));
    }

    /**
     * The reply buffer Native reuses grows after a reply that did not fit (up to 8 MiB): replies
     * of every size after it, larger and smaller, in the grown buffer or in one of their own,
     * come back exact, with no byte of an earlier reply left in them.
     */
    public function testRepliesOfChangingSizesAfterTheBufferGrew(): void
    {
        foreach (['ay', 'ax'] as $signature) {
            $this->bus->call(
                EchoPeer::NAME,
                EchoPeer::PATH,
                'org.freedesktop.DBus.Mock',
                'AddMethod',
                [EchoPeer::INTERFACE, 'Sizes_' . $signature, $signature, $signature, 'ret = args[0]'],
                'sssss'
            );
        }
        $sizes = [70000, 1 << 20, 100000, 10, (1 << 20) + 3, 5, 300000, 0, 2 << 20];
        foreach ($sizes as $i => $size) {
            $bytes = substr(str_repeat(chr(65 + $i) . "\x00\xff", intdiv($size, 3) + 1), 0, $size);
            $reply = $this->bus->call(EchoPeer::NAME, EchoPeer::PATH, EchoPeer::INTERFACE, 'Sizes_ay', [$bytes], 'ay');
            self::assertSame([$bytes], $reply, "reply $i of $size bytes");
            $list = range($size, $size + intdiv($size, 40));
            $reply = $this->bus->call(EchoPeer::NAME, EchoPeer::PATH, EchoPeer::INTERFACE, 'Sizes_ax', [$list], 'ax');
            self::assertSame([$list], $reply, "list $i");
        }
    }

    public function testPreparedCallsAndProxiesGoPacked(): void
    {
        $method = EchoPeer::method($this->bus, static::$private, 'sai');
        $prepared = $this->bus->prepare(EchoPeer::NAME, EchoPeer::PATH, EchoPeer::INTERFACE, $method, 'sai');
        self::assertSame(['sai', 'x', [1, 2]], $prepared('x', [1, 2]));
        // A proxy's methods with a given signature (the "signatures" option).
        $proxy = $this->bus->proxy(EchoPeer::NAME, EchoPeer::PATH, EchoPeer::INTERFACE, ['signatures' => [$method => 'sai']]);
        self::assertSame(['sai', 'y', [3]], $proxy->{$method}('y', [3]));
        // dbus-daemon's own methods, a peer we did not write.
        $owner = $this->bus->prepare('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetNameOwner', 's');
        self::assertSame([$this->bus->getUniqueName()], $owner($this->bus->getUniqueName()));
        $hasOwner = $this->bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'NameHasOwner', [EchoPeer::NAME], 's');
        self::assertSame([true], $hasOwner);
    }
}
