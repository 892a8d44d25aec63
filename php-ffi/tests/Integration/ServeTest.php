<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Bus;
use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\NameTakenException;
use SkypeBus\Exception\UnknownMethodException;
use SkypeBus\ExportedObject;
use SkypeBus\Library;
use SkypeBus\Tests\Support\GuardedObject;
use SkypeBus\Tests\Support\PrivateBus;
use SkypeBus\Tests\Support\ServedObject;
use SkypeBus\Tests\Unit\ServeUnitTest;
use SkypeBus\Type\Variant;

/**
 * A PHP-exported object, called and introspected by tools we did not write (gdbus, busctl,
 * dbus-send): typed arguments and replies, errors, what is not callable, exact names, what the
 * library answers while PHP sleeps, properties, and names.
 */
class ServeTest extends IntegrationTestCase
{
    /** @var ServedObject */
    private $handler;

    /** @var ExportedObject */
    private $object;

    /** @var string */
    private $unique;

    protected function setUp(): void
    {
        parent::setUp();
        $this->handler = new ServedObject();
        $this->handler->bus = $this->bus;
        $this->object = $this->bus->export(ServedObject::PATH, $this->handler, ServedObject::xml(), [
            'properties' => [ServedObject::INTERFACE => ['Volume' => 0.5, 'Title' => 'served', 'Locked' => 1]],
        ]);
        $this->unique = $this->bus->getUniqueName();
    }

    /**
     * gdbus call on our object, served while it runs.
     *
     * @param list<string> $args GVariant texts
     * @return array{0: int, 1: string}
     */
    private function gdbus(string $method, array $args = [], bool $serve = true): array
    {
        return self::runCommand(array_merge(
            ['gdbus', 'call', '--session', '--dest', $this->unique, '--object-path', ServedObject::PATH,
             '--method', ServedObject::INTERFACE . '.' . $method, '--'],
            $args
        ), $serve ? $this->bus : null);
    }

    /**
     * busctl --user call on our object (busctl --json=short output), served while it runs.
     *
     * @param list<string> $args
     * @return array<string, mixed>
     */
    private function busctl(string $method, string $signature = '', array $args = []): array
    {
        $output = self::runOk(array_merge(
            ['busctl', '--user', '--json=short', '--', 'call', $this->unique, ServedObject::PATH, ServedObject::INTERFACE, $method],
            $signature !== '' ? array_merge([$signature], $args) : []
        ), $this->bus);
        $reply = json_decode($output, true, 512, JSON_BIGINT_AS_STRING);
        self::assertIsArray($reply, $output);
        return $reply;
    }

    public function testGdbusCallWithTypedArgumentsAndReplies(): void
    {
        [$code, $output] = $this->gdbus('Add', ['2', '-7']);
        self::assertSame(0, $code, $output);
        self::assertSame("(-5,)\n", $output);
        self::assertSame([['Add', [2, -7]]], $this->handler->calls);

        [$code, $output] = $this->gdbus('Pair', ["'héllo'"]);
        self::assertSame(0, $code, $output);
        self::assertSame("('héllo', uint32 6)\n", $output);

        [$code, $output] = $this->gdbus('Nothing');
        self::assertSame("()\n", $output);

        [$code, $output] = $this->gdbus('Typed');
        self::assertSame(0, $code, $output);
        self::assertSame(
            "(byte 0x07, true, int16 -3, uint16 65535, -2147483648, uint32 4294967295, int64 -9223372036854775808, "
            . "uint64 18446744073709551615, 1.5, 'text', objectpath '/a/b', signature 'a{sv}', [byte 0x00, 0xff], "
            . "['x', 'y'], {'k': <1>, 's': <'x'>}, {uint32 7: -7}, <'in a variant'>, (1, 'x'))\n",
            $output
        );
    }

    public function testGdbusCallPassesEveryTypeToTheHandlerAsPhpValues(): void
    {
        [$code, $output] = $this->gdbus('Types', [
            '0xff', 'true', '-32768', '65535', '-2147483648', '4294967295', '-9223372036854775808',
            '18446744073709551615', '-0.25', "'héllo'", "'/a/b'", "'a{sv}'", '[byte 0x00, 0xff, 0x41]',
            "['x', 'y']", "{'k': <uint32 5>, 'nested': <{'b': <[byte 0x01]>}>}", '{1: -1, 4294967295: 2}',
            '<int16 -5>', "(3, 'x')",
        ]);
        self::assertSame(0, $code, $output);
        self::assertSame("(uint32 18,)\n", $output);
        self::assertSame([['Types', [
            255, true, -32768, 65535, -2147483648, 4294967295, PHP_INT_MIN, '18446744073709551615', -0.25, 'héllo', '/a/b',
            'a{sv}', "\x00\xffA", ['x', 'y'], ['k' => 5, 'nested' => ['b' => "\x01"]], [1 => -1, 4294967295 => 2], -5, [3, 'x'],
        ]]], $this->handler->calls);
    }

    public function testBusctlCallWithTypedArgumentsAndReplies(): void
    {
        self::assertSame(['type' => 'i', 'data' => [5]], $this->busctl('Add', 'ii', ['2', '3']));
        self::assertSame(['type' => 'su', 'data' => ['abc', 3]], $this->busctl('Pair', 's', ['abc']));
        // busctl's JSON output has no form for a{ui}: the plain output, every type spelled out.
        self::assertSame(
            'ybnqiuxtdsogayasa{sv}a{ui}v(is) 7 true -3 65535 -2147483648 4294967295 -9223372036854775808 '
            . '18446744073709551615 1.5 "text" "/a/b" "a{sv}" 2 0 255 2 "x" "y" 2 "k" i 1 "s" s "x" 1 7 -7 s "in a variant" 1 "x"' . "\n",
            self::runOk(['busctl', '--user', 'call', $this->unique, ServedObject::PATH, ServedObject::INTERFACE, 'Typed'], $this->bus)
        );
        $this->busctl('Types', 'ybnqiuxtdsogayasa{sv}a{ui}v(is)', [
            '1', 'false', '-1', '2', '-3', '4', '-5', '6', '7.5', 'busctl', '/o', 'as', '2', '0', '1', '1', 'z',
            '1', 'key', 'd', '2.5', '1', '9', '-9', 'u', '42', '8', 'eight',
        ]);
        self::assertSame(['Add', 'Pair', 'Typed', 'Types'], $this->handler->called());
        self::assertSame([1, false, -1, 2, -3, 4, -5, 6, 7.5, 'busctl', '/o', 'as', "\x00\x01", ['z'], ['key' => 2.5], [9 => -9], 42, [8, 'eight']], $this->handler->calls[3][1]);
    }

    public function testGdbusIntrospect(): void
    {
        $output = self::runOk(['gdbus', 'introspect', '--session', '--dest', $this->unique, '--object-path', ServedObject::PATH]);
        self::assertStringContainsString('interface ' . ServedObject::INTERFACE . ' {', $output);
        self::assertStringContainsString('Add(in  i a,', $output);
        self::assertStringContainsString('out i sum);', $output);
        self::assertStringContainsString('readwrite d Volume = 0.5;', $output);
        self::assertStringContainsString("readonly s Title = 'served';", $output);
        self::assertStringContainsString('Changed(s what);', $output);
        self::assertStringContainsString('interface org.freedesktop.DBus.Peer {', $output);
        self::assertStringNotContainsString('Hidden', $output);
        $parent = self::runOk(['gdbus', 'introspect', '--session', '--dest', $this->unique, '--object-path', '/net/skypebus/Test']);
        self::assertStringContainsString('node /net/skypebus/Test {', $parent);
        self::assertStringContainsString('Served {', $parent);
        self::assertSame([], $this->handler->calls, 'introspection is the library\'s business');
    }

    public function testThePeerIsAnsweredWhileThePhpProcessSleeps(): void
    {
        $commands = [
            ['gdbus', 'call', '--session', '--dest', $this->unique, '--object-path', ServedObject::PATH, '--method', 'org.freedesktop.DBus.Peer.Ping'],
            ['gdbus', 'call', '--session', '--dest', $this->unique, '--object-path', ServedObject::PATH, '--method', 'org.freedesktop.DBus.Properties.Get', ServedObject::INTERFACE, 'Title'],
            ['gdbus', 'introspect', '--session', '--dest', $this->unique, '--object-path', ServedObject::PATH, '--xml'],
        ];
        $processes = [];
        $outputs = [];
        foreach ($commands as $command) {
            $processes[] = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['redirect', 1]], $pipes, null, static::$private->environment());
            $outputs[] = $pipes[1];
        }
        $deadline = microtime(true) + 10;
        $running = count($processes);
        while ($running > 0 && microtime(true) < $deadline) {
            usleep(50000);   // PHP sleeps outside the library: no serve(), no process()
            $running = 0;
            foreach ($processes as $process) {
                $running += proc_get_status($process)['running'] ? 1 : 0;
            }
        }
        $texts = [];
        foreach ($processes as $i => $process) {
            $texts[] = stream_get_contents($outputs[$i]);
            fclose($outputs[$i]);
            proc_close($process);
        }
        self::assertSame(0, $running, 'answered while PHP slept: ' . implode("\n", $texts));
        self::assertSame("()\n", $texts[0]);
        self::assertSame("(<'served'>,)\n", $texts[1]);
        self::assertStringContainsString('<method name="Add">', $texts[2]);
        self::assertSame([], $this->handler->calls);
    }

    public function testHandlerErrorsReachTheCallerWithTheirNames(): void
    {
        [$code, $output] = $this->gdbus('Fail', ["'com.example.Error.NotFound'", "'no such thing'"]);
        self::assertNotSame(0, $code);
        self::assertStringContainsString('GDBus.Error:com.example.Error.NotFound: no such thing', $output);

        [, $output] = $this->gdbus('FailInvalidArgs');
        self::assertStringContainsString('GDBus.Error:org.freedesktop.DBus.Error.InvalidArgs: the arguments are wrong', $output);

        [, $output] = $this->gdbus('Crash', ["'it broke'"]);
        self::assertStringContainsString('GDBus.Error:org.freedesktop.DBus.Error.Failed: it broke', $output);

        [, $output] = $this->gdbus('Fail', ["'not a valid error name'", "'text'"]);
        self::assertStringContainsString('GDBus.Error:org.freedesktop.DBus.Error.Failed: text (the handler gave the invalid error name', $output);

        [, $output] = $this->gdbus('WrongReturn');
        self::assertStringContainsString('GDBus.Error:org.freedesktop.DBus.Error.Failed: The return value of ' . ServedObject::INTERFACE . '.WrongReturn does not fit its out signature "u"', $output);

        [, $output] = $this->gdbus('WrongCount');
        self::assertStringContainsString('WrongCount returned array, but its out signature "uu" needs a list of 2 values', $output);
        self::assertSame(['Fail', 'FailInvalidArgs', 'Crash', 'Fail', 'WrongReturn', 'WrongCount'], $this->handler->called());
    }

    public function testHandlerTypeErrorBecomesFailed(): void
    {
        // A handler whose parameter type does not take what the XML declares: PHP's TypeError
        // is an exception like any other.
        $strict = new class {
            public function Take(int $n): void
            {
            }
        };
        $this->bus->export('/net/skypebus/Test/Strict', $strict, '<node><interface name="net.skypebus.Test.Strict"><method name="Take"><arg type="s"/></method></interface></node>');
        [$code, $output] = self::runCommand(['gdbus', 'call', '--session', '--dest', $this->unique, '--object-path', '/net/skypebus/Test/Strict', '--method', 'net.skypebus.Test.Strict.Take', "'seven'"], $this->bus);
        self::assertNotSame(0, $code);
        self::assertStringContainsString('GDBus.Error:org.freedesktop.DBus.Error.Failed:', $output);
        self::assertStringContainsString('must be of type int, string given', $output);
    }

    public function testAPublicMethodNotInTheXmlIsNotCallable(): void
    {
        [$code, $output] = $this->gdbus('Hidden');
        self::assertNotSame(0, $code);
        self::assertStringContainsString('org.freedesktop.DBus.Error.UnknownMethod', $output);
        self::assertSame([], $this->handler->calls);
        $client = static::$private->connectPrivate();
        try {
            $client->call($this->unique, ServedObject::PATH, ServedObject::INTERFACE, 'Hidden');
            self::fail('Hidden() was callable');
        } catch (UnknownMethodException $e) {
            self::assertSame('org.freedesktop.DBus.Error.UnknownMethod', $e->getErrorName());
        } finally {
            $client->close();
        }
        self::assertSame([], $this->handler->calls);
    }

    public function testMemberNamesAreMatchedExactly(): void
    {
        // PHP would call Add() for "add"; D-Bus must not.
        [$code, $output] = $this->gdbus('add', ['1', '2']);
        self::assertNotSame(0, $code);
        self::assertStringContainsString('UnknownMethod', $output);
        self::assertSame([], $this->handler->calls);

        // A handler whose method differs in case cannot serve the XML at all.
        $lower = new class {
            public function notify(string $text): void
            {
            }
        };
        try {
            $this->bus->export('/net/skypebus/Test/Lower', $lower, '<node><interface name="net.skypebus.Test.Lower"><method name="Notify"><arg type="s"/></method></interface></node>');
            self::fail('exported a handler whose notify() differs in case from Notify');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString('net.skypebus.Test.Lower.Notify (the method notify() differs in case', $e->getMessage());
        }
        self::assertFalse($this->bus->isExported('/net/skypebus/Test/Lower'));

        // With __call(), members that differ only in case reach it with their exact names.
        $magic = new class {
            /** @var list<string> */
            public $names = [];

            /**
             * @param list<mixed> $args
             */
            public function __call(string $name, array $args): string
            {
                $this->names[] = $name;
                return $name;
            }
        };
        $this->bus->export('/net/skypebus/Test/Magic', $magic, '<node><interface name="net.skypebus.Test.Magic">'
            . '<method name="Get"><arg type="s" direction="out"/></method><method name="get"><arg type="s" direction="out"/></method>'
            . '</interface></node>');
        foreach (['get', 'Get'] as $member) {
            $output = self::runOk(['gdbus', 'call', '--session', '--dest', $this->unique, '--object-path', '/net/skypebus/Test/Magic', '--method', 'net.skypebus.Test.Magic.' . $member], $this->bus);
            self::assertSame("('$member',)\n", $output);
        }
        self::assertSame(['get', 'Get'], $magic->names);
    }

    public function testCallsWithoutInterfaceAndTheCurrentCall(): void
    {
        // dbus-python sends a call without an interface header when asked to; it prints its
        // unique name and the two replies.
        $script = 'import dbus, json, sys; bus = dbus.SessionBus(); d, p = sys.argv[1], sys.argv[2]; '
            . 'r = bus.call_blocking(d, p, None, "Add", "ii", [2, 3]); '
            . 'w = bus.call_blocking(d, p, None, "WhoCalls", "", []); '
            . 'print(json.dumps([bus.get_unique_name(), int(r), [str(x) for x in w]]))';
        $output = self::runOk([PrivateBus::PYTHON, '-c', $script, $this->unique, ServedObject::PATH], $this->bus);
        [$client, $sum, [$sender, $member]] = json_decode($output, true);
        self::assertSame(5, $sum);
        self::assertSame($client, $sender);
        self::assertSame(ServedObject::INTERFACE . '.WhoCalls', $member, 'the interface the call was resolved to');
        self::assertNull($this->bus->currentCall());
    }

    public function testCallsWhoseCallerDoesNotWaitAreHandled(): void
    {
        self::runOk(['dbus-send', '--session', '--type=method_call', '--dest=' . $this->unique, ServedObject::PATH, ServedObject::INTERFACE . '.Pair', 'string:quiet']);
        $deadline = microtime(true) + 5;
        while ($this->handler->calls === [] && microtime(true) < $deadline) {
            $this->bus->serve(0.05);
        }
        self::assertSame([['Pair', ['quiet']]], $this->handler->calls);
        self::assertSame(0, $this->bus->eventStats()['pending_calls'], 'the handle is released');
    }

    public function testPropertiesFromTheStore(): void
    {
        self::assertSame("(<0.5>,)\n", self::runOk(['gdbus', 'call', '--session', '--dest', $this->unique, '--object-path', ServedObject::PATH, '--method', 'org.freedesktop.DBus.Properties.Get', ServedObject::INTERFACE, 'Volume']));
        $this->object->setProperty(ServedObject::INTERFACE, 'Volume', 1);
        $this->object->setProperty(ServedObject::INTERFACE, 'Title', 'renamed');
        $output = self::runOk(['busctl', '--user', '--json=short', 'call', $this->unique, ServedObject::PATH, 'org.freedesktop.DBus.Properties', 'GetAll', 's', ServedObject::INTERFACE]);
        self::assertSame(
            ['type' => 'a{sv}', 'data' => [['Volume' => ['type' => 'd', 'data' => 1.0], 'Title' => ['type' => 's', 'data' => 'renamed'], 'Locked' => ['type' => 'u', 'data' => 1]]]],
            json_decode(str_replace('1.000000000000000000000e+00', '1.0', $output), true)
        );

        // A remote write of a writable property is stored; of a read-only one refused.
        self::runOk(['busctl', '--user', 'set-property', $this->unique, ServedObject::PATH, ServedObject::INTERFACE, 'Volume', 'd', '0.75'], $this->bus);
        self::assertSame("d 0.75\n", self::runOk(['busctl', '--user', 'get-property', $this->unique, ServedObject::PATH, ServedObject::INTERFACE, 'Volume']));
        [$code, $output] = self::runCommand(['busctl', '--user', 'set-property', $this->unique, ServedObject::PATH, ServedObject::INTERFACE, 'Title', 's', 'x'], $this->bus);
        self::assertNotSame(0, $code, $output);

        try {
            $this->object->setProperty(ServedObject::INTERFACE, 'Volume', 'loud');
            self::fail('stored a string as a "d"');
        } catch (InvalidArgumentException $e) {
            self::assertSame('net.skypebus.Error.TypeMismatch', $e->getErrorName());
        }
    }

    public function testPropertyChangesAreSignalled(): void
    {
        $watcher = static::$private->connectPrivate();
        $watcher->subscribe(['sender' => $this->unique, 'interface' => 'org.freedesktop.DBus.Properties', 'member' => 'PropertiesChanged']);
        $this->object->setProperty(ServedObject::INTERFACE, 'Volume', 0.25);
        $signal = $watcher->nextSignal(5.0);
        self::assertNotNull($signal);
        self::assertSame([ServedObject::INTERFACE, ['Volume' => 0.25], []], $signal->getArgs());
        $watcher->close();
    }

    public function testAPropertyWriteHandlerVetsRemoteWrites(): void
    {
        $guarded = new GuardedObject();
        $object = $this->bus->export('/net/skypebus/Test/Guarded', $guarded, '<node><interface name="net.skypebus.Test.Guarded">'
            . '<property name="Volume" type="d" access="readwrite"/><property name="Locked" type="u" access="readwrite"/>'
            . '</interface></node>', ['properties' => ['net.skypebus.Test.Guarded' => ['Volume' => 0.5, 'Locked' => 1]], 'variants' => 'typed']);
        $set = function (string $name, string $type, string $value): array {
            return self::runCommand(['busctl', '--user', 'set-property', $this->unique, '/net/skypebus/Test/Guarded', 'net.skypebus.Test.Guarded', $name, $type, $value], $this->bus);
        };
        self::assertSame(0, $set('Volume', 'd', '0.125')[0]);
        [$code, $output] = $set('Volume', 'd', '7');
        self::assertNotSame(0, $code);
        self::assertStringContainsString('Volume must lie in 0..1', $output);
        [$code, $output] = $set('Locked', 'u', '2');
        self::assertNotSame(0, $code);
        self::assertStringContainsString('Locked cannot be changed', $output);
        self::assertSame([['net.skypebus.Test.Guarded', 'Volume', 0.125], ['net.skypebus.Test.Guarded', 'Volume', 7.0], ['net.skypebus.Test.Guarded', 'Locked', 2]], $guarded->writes);
        self::assertSame([0.125], (static::$private->connectPrivate())->call($this->unique, '/net/skypebus/Test/Guarded', 'org.freedesktop.DBus.Properties', 'Get', ['net.skypebus.Test.Guarded', 'Volume']));
        $object->unexport();
        self::assertFalse($object->isExported());
        [$code, $output] = self::runCommand(['gdbus', 'call', '--session', '--dest', $this->unique, '--object-path', '/net/skypebus/Test/Guarded', '--method', 'org.freedesktop.DBus.Properties.Get', 'net.skypebus.Test.Guarded', 'Volume']);
        self::assertNotSame(0, $code, $output);
    }

    public function testOwnedNames(): void
    {
        $name = 'net.skypebus.Test.Served' . getmypid();
        self::assertSame(Bus::NAME_PRIMARY_OWNER, $this->bus->requestName($name, Bus::NAME_ALLOW_REPLACEMENT));
        self::assertSame(Bus::NAME_ALREADY_OWNER, $this->bus->requestName($name));
        self::assertSame([$name], $this->bus->ownedNames());
        // Called by its well-known name.
        $output = self::runOk(['gdbus', 'call', '--session', '--dest', $name, '--object-path', ServedObject::PATH, '--method', ServedObject::INTERFACE . '.Add', '20', '22'], $this->bus);
        self::assertSame("(42,)\n", $output);

        $other = static::$private->connect();
        self::assertSame(Bus::NAME_IN_QUEUE, $other->requestName($name, Bus::NAME_QUEUE));
        self::assertFalse($other->isShared(), 'owning names moves a Bus to a private connection');
        self::assertSame([], $other->ownedNames());
        self::assertSame(Bus::NAME_RELEASED, $this->bus->releaseName($name));
        self::assertSame([], $this->bus->ownedNames());
        $deadline = microtime(true) + 5;
        while ($other->ownedNames() === [] && microtime(true) < $deadline) {
            $other->serve(0.05);
        }
        self::assertSame([$name], $other->ownedNames(), 'name_acquired once the queue moves');
        self::assertSame(Bus::NAME_NOT_OWNER, $this->bus->releaseName($name));

        // Taken over: the previous owner sees name_lost.
        $third = static::$private->connectPrivate();
        self::assertSame(Bus::NAME_IN_QUEUE, $third->requestName($name, ['replaceExisting' => true, 'queue' => true]));
        $other->close();
        self::assertSame(Bus::NAME_NON_EXISTENT, $this->bus->releaseName('net.skypebus.Test.Nobody'));
        $third->close();

        try {
            $this->bus->requestName('not a name');
            self::fail('requested an invalid name');
        } catch (InvalidArgumentException $e) {
            self::assertSame('net.skypebus.Error.InvalidName', $e->getErrorName());
        }
        try {
            $this->bus->requestName('net.skypebus.Test.Forbidden');
            self::fail('the bus policy allowed a forbidden name');
        } catch (DBusException $e) {
            self::assertSame('org.freedesktop.DBus.Error.AccessDenied', $e->getErrorName());
        }
    }

    public function testASecondWorkerIsRefusedUnlessItAsksToQueue(): void
    {
        $name = 'net.skypebus.Test.Worker' . getmypid();
        self::assertSame(Bus::NAME_PRIMARY_OWNER, $this->bus->requestName($name));
        $second = static::$private->connectPrivate();
        foreach ([[], 0, Bus::NAME_DO_NOT_QUEUE, ['queue' => false], Bus::NAME_REPLACE_EXISTING] as $flags) {
            try {
                $second->requestName($name, $flags);
                self::fail('a second worker got an answer for ' . json_encode($flags));
            } catch (NameTakenException $e) {
                self::assertInstanceOf(DBusException::class, $e);
                self::assertSame('net.skypebus.Error.NameTaken', $e->getErrorName());
                self::assertStringContainsString($name, $e->getMessage());
                self::assertStringContainsString($this->bus->getUniqueName(), $e->getMessage());
                self::assertStringContainsString('Bus::NAME_QUEUE', $e->getMessage());
            }
        }
        self::assertSame([], $second->ownedNames());
        // Not queued: when the first worker lets go, nobody owns the name.
        self::assertSame(Bus::NAME_RELEASED, $this->bus->releaseName($name));
        self::assertSame(Bus::NAME_NON_EXISTENT, $this->bus->releaseName($name));
        // Asked for: the queue.
        self::assertSame(Bus::NAME_PRIMARY_OWNER, $this->bus->requestName($name));
        self::assertSame(Bus::NAME_IN_QUEUE, $second->requestName($name, ['queue' => true]));
        try {
            $second->requestName($name, ['queue' => true, 'wait' => true]);
            self::fail('an unknown option was accepted');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString('allowReplacement, replaceExisting, queue', $e->getMessage());
        }
        try {
            $second->requestName($name, Bus::NAME_QUEUE | Bus::NAME_DO_NOT_QUEUE);
            self::fail('contradicting flags were accepted');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString('NAME_QUEUE', $e->getMessage());
        }
        $second->close();
    }

    public function testNameLostWhenReplaced(): void
    {
        $name = 'net.skypebus.Test.Replaced' . getmypid();
        self::assertSame(Bus::NAME_PRIMARY_OWNER, $this->bus->requestName($name, Bus::NAME_ALLOW_REPLACEMENT));
        $thief = static::$private->connectPrivate();
        self::assertSame(Bus::NAME_PRIMARY_OWNER, $thief->requestName($name, Bus::NAME_REPLACE_EXISTING));
        $deadline = microtime(true) + 5;
        while ($this->bus->ownedNames() !== [] && microtime(true) < $deadline) {
            $this->bus->serve(0.05);
        }
        self::assertSame([], $this->bus->ownedNames());
        $thief->close();
    }

    public function testServeReturnsAfterItsTimeoutAndOnInterrupt(): void
    {
        $start = microtime(true);
        self::assertSame(0, $this->bus->serve(0.3));
        $elapsed = microtime(true) - $start;
        self::assertGreaterThanOrEqual(0.29, $elapsed);
        self::assertLessThan(0.6, $elapsed);

        // An exported method that interrupts the loop: serve() returns at once.
        $client = static::$private->connectPrivate();
        $client->call($this->unique, ServedObject::PATH, ServedObject::INTERFACE, 'Stop', [], null, ['noReply' => true]);
        $start = microtime(true);
        self::assertSame(1, $this->bus->serve(30.0));
        self::assertLessThan(1.0, microtime(true) - $start);
        $client->close();
    }

    public function testProcessAnswersWhatIsWaitingWithoutWaiting(): void
    {
        $client = static::$private->connectPrivate();
        for ($i = 0; $i < 5; $i++) {
            $client->call($this->unique, ServedObject::PATH, ServedObject::INTERFACE, 'Pair', ["n$i"], null, ['noReply' => true]);
        }
        $client->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Peer', 'Ping');
        usleep(100000);
        $start = microtime(true);
        self::assertSame(5, $this->bus->process());
        self::assertSame(0, $this->bus->process());
        self::assertLessThan(0.1, microtime(true) - $start);
        self::assertSame(['n0', 'n1', 'n2', 'n3', 'n4'], array_map(static function (array $call): string {
            return $call[1][0];
        }, $this->handler->calls));
        $client->close();
    }

    /** The schemas ServeUnitTest uses without the library are what the library gives. */
    public function testTheUnitTestsSchemasAreTheLibrarys(): void
    {
        $native = Library::native();
        self::assertSame(json_decode(ServeUnitTest::XML_SCHEMA, true), json_decode($native->exportSchema(ServeUnitTest::XML), true));
        foreach (ServeUnitTest::SCHEMAS as $name => [$xml, $json]) {
            self::assertSame(json_decode($json, true), json_decode($native->exportSchema($xml), true), $name);
        }
    }

    public function testExportErrors(): void
    {
        foreach (
            [
            ['<node><interface name="a.B"><method name="Missing"/></interface></node>', 'no public method'],
            ['<not-xml', 'invalid introspection XML'],
            ['', 'invalid introspection XML'],
            ['<?xml version="1.0"?><!-- a comment --><!DOCTYPE node><interface name="a.B"/>', 'must be a <node> document, not <interface>'],
            ['<interface name="a.B"/>', 'must be a <node> document'],
            ] as [$xml, $message]
        ) {
            try {
                $this->bus->export('/net/skypebus/Test/Bad', new \stdClass(), $xml);
                self::fail('exported ' . $xml);
            } catch (InvalidArgumentException $e) {
                self::assertStringContainsString($message, $e->getMessage());
            }
        }
        try {
            $this->bus->export(ServedObject::PATH, $this->handler, ServedObject::xml());
            self::fail('exported a path twice');
        } catch (InvalidArgumentException $e) {
            self::assertSame('net.skypebus.Error.InvalidRequest', $e->getErrorName());
        }
        try {
            $this->bus->export('/net/skypebus/Test/Options', $this->handler, ServedObject::xml(), ['bytes' => 'base64']);
            self::fail('accepted an unknown option');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString('Unknown export option "bytes"', $e->getMessage());
        }
        $this->expectException(InvalidArgumentException::class);
        $this->bus->unexport('/not/exported');
    }

    public function testTypedVariantsOption(): void
    {
        $seen = new class {
            /** @var mixed */
            public $value;

            /**
             * @param mixed $value
             */
            public function Take($value): void
            {
                $this->value = $value;
            }
        };
        $this->bus->export('/net/skypebus/Test/Typed', $seen, '<node><interface name="net.skypebus.Test.V"><method name="Take"><arg type="v"/></method></interface></node>', ['variants' => 'typed']);
        self::runOk(['gdbus', 'call', '--session', '--dest', $this->unique, '--object-path', '/net/skypebus/Test/Typed', '--method', 'net.skypebus.Test.V.Take', '<uint16 9>'], $this->bus);
        self::assertInstanceOf(Variant::class, $seen->value);
        self::assertSame('q', $seen->value->getSignature());
        self::assertSame(9, $seen->value->getValue());
    }

    public function testClosingTheBusEndsTheExport(): void
    {
        $this->bus->close();
        self::assertFalse($this->object->isExported());
        [$code] = self::runCommand(['gdbus', 'call', '--session', '--dest', $this->unique, '--object-path', ServedObject::PATH, '--method', 'org.freedesktop.DBus.Peer.Ping']);
        self::assertNotSame(0, $code);
    }
}
