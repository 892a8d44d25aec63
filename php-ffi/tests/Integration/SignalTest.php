<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Bus;
use SkypeBus\Exception\DisconnectedException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Signal;
use SkypeBus\Type\Bytes;
use SkypeBus\Type\Int16;
use SkypeBus\Type\UInt64;
use SkypeBus\Type\Variant;

/**
 * Signals in PHP: emitted by peers we did not write (dbus-send, gdbus emit, the bus driver),
 * filtered by match rules, taken one at a time, with a generator, or kept while serving; and
 * emitted by PHP.
 */
class SignalTest extends IntegrationTestCase
{
    private const INTERFACE = 'net.skypebus.Test.Signals';

    /**
     * Sends a signal with dbus-send (its argument syntax: string:text, uint64:5, array:byte:1,2 ...).
     *
     * @param list<string> $args
     */
    private static function dbusSend(string $path, string $member, array $args = [], string $interface = self::INTERFACE): void
    {
        self::runOk(array_merge(
            ['dbus-send', '--session', '--type=signal', $path, $interface . '.' . $member],
            $args
        ));
    }

    /**
     * Takes the signals that arrive within $seconds.
     *
     * @return list<Signal>
     */
    private static function drain(Bus $bus, float $seconds = 0.3): array
    {
        $signals = [];
        while (($signal = $bus->nextSignal($seconds)) !== null) {
            $signals[] = $signal;
        }
        return $signals;
    }

    /**
     * @param list<Signal> $signals
     * @return list<string>
     */
    private static function members(array $signals): array
    {
        return array_map(static function (Signal $signal): string {
            return $signal->getMember();
        }, $signals);
    }

    public function testDbusSendSignalArrivesWithItsValuesAndTypes(): void
    {
        $subscription = $this->bus->subscribe(['interface' => self::INTERFACE]);
        self::dbusSend('/net/skypebus/Test/Sender', 'Everything', [
            'string:héllo', 'int32:-5', 'uint32:4294967295', 'uint64:18446744073709551615', 'int64:-9223372036854775808',
            'double:1.5', 'boolean:true', 'byte:255', 'int16:-32768', 'uint16:65535', 'objpath:/a/b',
            'array:string:x,y', 'array:byte:0,255,10', 'dict:string:int32:one,1,two,2', 'variant:uint32:7',
        ]);
        $signal = $this->bus->nextSignal(5.0);
        self::assertNotNull($signal);
        self::assertSame('/net/skypebus/Test/Sender', $signal->getPath());
        self::assertSame(self::INTERFACE, $signal->getInterface());
        self::assertSame('Everything', $signal->getMember());
        self::assertSame('siutxdbynqoasaya{si}v', $signal->getSignature());
        self::assertMatchesRegularExpression('/^:\d+\.\d+$/', $signal->getSender());
        self::assertNull($signal->getDestination());
        self::assertSame([$subscription->id()], $signal->getSubscriptions());
        self::assertTrue($signal->matches($subscription));
        self::assertNull($signal->getDecodeError());
        self::assertSame([
            'héllo', -5, 4294967295, '18446744073709551615', PHP_INT_MIN, 1.5, true, 255, -32768, 65535, '/a/b',
            ['x', 'y'], "\x00\xff\n", ['one' => 1, 'two' => 2], 7,
        ], $signal->getArgs());
        self::assertSame('héllo', $signal->getArg(0));
        self::assertNull($signal->getArg(99));
    }

    public function testGdbusEmitSignalArrives(): void
    {
        $this->bus->subscribe(['path' => '/net/skypebus/Test/Gdbus', 'variants' => 'typed']);
        self::runOk([
            'gdbus', 'emit', '--session', '--object-path', '/net/skypebus/Test/Gdbus',
            '--signal', self::INTERFACE . '.Emitted',
            "'text'", 'uint64 18446744073709551615', '<int16 -3>', "{'k': <1.5>, 'b': <[byte 0x00, 0xff]>}", '(7, [true, false])',
        ]);
        $signal = $this->bus->nextSignal(5.0);
        self::assertNotNull($signal);
        self::assertSame('Emitted', $signal->getMember());
        self::assertSame('stva{sv}(iab)', $signal->getSignature());
        [$text, $big, $variant, $dict, $struct] = $signal->getArgs();
        self::assertSame('text', $text);
        self::assertSame('18446744073709551615', $big);
        self::assertInstanceOf(Variant::class, $variant);
        self::assertSame('n', $variant->getSignature());
        self::assertSame(-3, $variant->getValue());
        self::assertSame(1.5, $dict['k']->getValue());
        self::assertSame('ay', $dict['b']->getSignature());
        self::assertSame("\x00\xff", $dict['b']->getValue());
        self::assertSame([7, [true, false]], $struct);
    }

    public function testNameOwnerChangedFromTheBusDriver(): void
    {
        $name = 'net.skypebus.Test.Owner' . getmypid();
        $this->bus->subscribe([
            'sender' => 'org.freedesktop.DBus',
            'interface' => 'org.freedesktop.DBus',
            'member' => 'NameOwnerChanged',
            'arg0' => $name,
        ]);
        $owner = static::$private->connectPrivate();
        self::assertSame(Bus::NAME_PRIMARY_OWNER, $owner->requestName($name));
        $unique = $owner->getUniqueName();
        self::assertSame(Bus::NAME_RELEASED, $owner->releaseName($name));
        $owner->close();
        $signals = self::drain($this->bus);
        self::assertCount(2, $signals, 'only NameOwnerChanged of our name (arg0)');
        self::assertSame('org.freedesktop.DBus', $signals[0]->getSender());
        self::assertSame('sss', $signals[0]->getSignature());
        self::assertSame([$name, '', $unique], $signals[0]->getArgs());
        self::assertSame([$name, $unique, ''], $signals[1]->getArgs());
    }

    public function testMatchRulesFilter(): void
    {
        $byMember = $this->bus->subscribe(['interface' => self::INTERFACE, 'member' => 'Wanted']);
        $byArg = $this->bus->subscribe(['interface' => self::INTERFACE, 'arg0' => 'yes', 'arg1path' => '/data/']);
        $byNamespace = $this->bus->subscribe(['interface' => self::INTERFACE, 'path_namespace' => '/net/skypebus/Test/Tree']);
        $byArgNamespace = $this->bus->subscribe(['interface' => self::INTERFACE, 'member' => 'Ns', 'arg0namespace' => 'org.example']);

        self::dbusSend('/x', 'Unwanted');
        self::dbusSend('/x', 'Wanted');
        self::dbusSend('/x', 'Other', ['string:no', 'objpath:/data/a']);
        self::dbusSend('/x', 'Other', ['string:yes', 'objpath:/elsewhere']);
        self::dbusSend('/x', 'Other', ['string:yes', 'string:/data/a/b']);
        self::dbusSend('/net/skypebus/Test/Treetop', 'Leaf');
        self::dbusSend('/net/skypebus/Test/Tree/a/b', 'Leaf');
        self::dbusSend('/x', 'Ns', ['string:org.examples']);
        self::dbusSend('/x', 'Ns', ['string:org.example.Sub']);
        self::dbusSend('/x', 'Wanted', ['string:yes', 'string:/data/']);
        self::dbusSend('/x', 'Wanted', [], 'net.skypebus.Test.Elsewhere');

        $signals = self::drain($this->bus);
        self::assertSame(['Wanted', 'Other', 'Leaf', 'Ns', 'Wanted'], self::members($signals));
        self::assertSame([$byMember->id()], $signals[0]->getSubscriptions());
        self::assertSame(['yes', '/data/a/b'], $signals[1]->getArgs());
        self::assertSame([$byArg->id()], $signals[1]->getSubscriptions());
        self::assertSame('/net/skypebus/Test/Tree/a/b', $signals[2]->getPath());
        self::assertSame([$byNamespace->id()], $signals[2]->getSubscriptions());
        self::assertSame(['org.example.Sub'], $signals[3]->getArgs());
        self::assertSame([$byArgNamespace->id()], $signals[3]->getSubscriptions());
        self::assertSame([$byMember->id(), $byArg->id()], $signals[4]->getSubscriptions(), 'one signal, every matching id');
    }

    public function testWellKnownSenderMatchesOnlyItsOwner(): void
    {
        $first = static::$private->connectPrivate();
        $second = static::$private->connectPrivate();
        $first->requestName('net.skypebus.Test.First');
        $second->requestName('net.skypebus.Test.Second');
        $fromFirst = $this->bus->subscribe(['sender' => 'net.skypebus.Test.First', 'interface' => self::INTERFACE]);
        $fromSecond = $this->bus->subscribe(['sender' => 'net.skypebus.Test.Second', 'interface' => self::INTERFACE]);
        $first->emit('/x', self::INTERFACE, 'One');
        $second->emit('/x', self::INTERFACE, 'Two');
        $signals = self::drain($this->bus);
        self::assertSame(['One', 'Two'], self::members($signals));
        self::assertSame([$fromFirst->id()], $signals[0]->getSubscriptions());
        self::assertSame([$fromSecond->id()], $signals[1]->getSubscriptions());
        self::assertSame($first->getUniqueName(), $signals[0]->getSender());
        $first->close();
        $second->close();
    }

    public function testSignalsGeneratorEndsAfterTheTimeout(): void
    {
        $this->bus->subscribe(['interface' => self::INTERFACE, 'member' => 'Counted']);
        foreach (['1', '2', '3'] as $n) {
            self::dbusSend('/x', 'Counted', ['string:' . $n]);
        }
        $seen = [];
        $start = microtime(true);
        foreach ($this->bus->signals(0.3) as $signal) {
            $seen[] = $signal->getArg(0);
        }
        $elapsed = microtime(true) - $start;
        self::assertSame(['1', '2', '3'], $seen);
        self::assertGreaterThanOrEqual(0.29, $elapsed);
        self::assertLessThan(2.0, $elapsed);
    }

    public function testTimeoutReturnsNull(): void
    {
        $this->bus->subscribe(['interface' => self::INTERFACE, 'member' => 'NeverSent']);
        $start = microtime(true);
        self::assertNull($this->bus->nextSignal(0.25));
        $elapsed = microtime(true) - $start;
        self::assertGreaterThanOrEqual(0.24, $elapsed);
        self::assertLessThan(0.6, $elapsed);
        $start = microtime(true);
        self::assertNull($this->bus->nextSignal(0));
        self::assertLessThan(0.05, microtime(true) - $start);
    }

    public function testSubscriptionAsAStatementLastsUntilTheBusCloses(): void
    {
        $this->bus->subscribe(['interface' => self::INTERFACE, 'member' => 'Kept']);
        gc_collect_cycles();
        self::dbusSend('/x', 'Kept');
        $signal = $this->bus->nextSignal(5.0);
        self::assertNotNull($signal);
        self::assertSame('Kept', $signal->getMember());
    }

    public function testUnsubscribeStopsDelivery(): void
    {
        $subscription = $this->bus->subscribe(['interface' => self::INTERFACE, 'member' => 'Stopped']);
        $other = $this->bus->subscribe(['interface' => self::INTERFACE, 'member' => 'Marker']);
        self::assertTrue($subscription->isActive());
        self::dbusSend('/x', 'Stopped', ['string:queued before unsubscribing']);
        usleep(100000);
        $subscription->unsubscribe();
        self::assertFalse($subscription->isActive());
        $subscription->unsubscribe();
        $this->bus->unsubscribe($subscription);
        self::dbusSend('/x', 'Stopped', ['string:after']);
        self::dbusSend('/x', 'Marker');
        self::assertSame(['Marker'], self::members(self::drain($this->bus)), 'nothing of the ended subscription, even queued');
        self::assertTrue($other->isActive());
        $this->bus->close();
        self::assertFalse($other->isActive(), 'subscriptions end with the Bus');
        $other->unsubscribe();
    }

    public function testSubscribingMovesASharedBusToAPrivateConnection(): void
    {
        $other = static::$private->connect();
        self::assertTrue($this->bus->isShared());
        $shared = $this->bus->getUniqueName();
        self::assertSame($shared, $other->getUniqueName());
        $this->bus->setTimeout(3.0);
        $this->bus->subscribe(['interface' => self::INTERFACE]);
        self::assertFalse($this->bus->isShared());
        self::assertNotSame($shared, $this->bus->getUniqueName());
        self::assertTrue($other->isShared(), 'the other handles keep the shared connection');
        self::assertSame($shared, $other->getUniqueName());
        self::assertNotSame([], $this->driver('GetId'), 'calls work on the private connection');
        $other->close();

        $private = static::$private->connectPrivate();
        $unique = $private->getUniqueName();
        $private->subscribe([]);
        self::assertSame($unique, $private->getUniqueName(), 'a private Bus stays on its connection');
        $private->close();
    }

    public function testPhpEmitsSignalsToEveryoneAndToOneDestination(): void
    {
        $receiver = static::$private->connectPrivate();
        $bystander = static::$private->connectPrivate();
        $receiver->subscribe(['interface' => self::INTERFACE]);
        $bystander->subscribe(['interface' => self::INTERFACE]);
        $this->bus->emit('/net/skypebus/Test/Emitter', self::INTERFACE, 'Typed', [
            new Bytes("\x00\xfe"), new UInt64('18446744073709551615'), new Variant('n', -2), 'text', ['k' => new Int16(3)], NAN,
        ]);
        $this->bus->emit('/net/skypebus/Test/Emitter', self::INTERFACE, 'Signed', ["\x01", 5, [1, 2], new Variant('n', -2)], 'ayqaiv');
        $this->bus->emit('/net/skypebus/Test/Emitter', self::INTERFACE, 'Direct', [], null, $receiver->getUniqueName());

        $signals = self::drain($receiver);
        self::assertSame(['Typed', 'Signed', 'Direct'], self::members($signals));
        self::assertSame('aytnsa{sv}d', $signals[0]->getSignature(), 'with no signature a Variant is sent as its inner type');
        [$bytes, $big, $variant, $text, $dict, $nan] = $signals[0]->getArgs();
        self::assertSame("\x00\xfe", $bytes);
        self::assertSame('18446744073709551615', $big);
        self::assertSame(-2, $variant);
        self::assertSame('text', $text);
        self::assertSame(['k' => 3], $dict);
        self::assertNan($nan);
        self::assertSame('ayqaiv', $signals[1]->getSignature());
        self::assertSame(["\x01", 5, [1, 2], -2], $signals[1]->getArgs());
        self::assertSame($receiver->getUniqueName(), $signals[2]->getDestination());
        self::assertSame($this->bus->getUniqueName(), $signals[2]->getSender());
        self::assertSame(['Typed', 'Signed'], self::members(self::drain($bystander)), 'a unicast signal reaches its destination only');
        $receiver->close();
        $bystander->close();
    }

    public function testSignalsThatArriveWhileServingAreKept(): void
    {
        $this->bus->subscribe(['interface' => self::INTERFACE, 'member' => 'DuringServe']);
        $sender = static::$private->connectPrivate();
        foreach ([1, 2, 3] as $n) {
            $sender->emit('/x', self::INTERFACE, 'DuringServe', [$n]);
        }
        usleep(100000);
        self::assertSame(0, $this->bus->serve(0.1));
        self::assertSame(0, $this->bus->process());
        self::assertSame(3, $this->bus->eventStats()['php_kept_signals']);
        $seen = [];
        while (($signal = $this->bus->nextSignal(0)) !== null) {
            $seen[] = $signal->getArg(0);
        }
        self::assertSame([1, 2, 3], $seen);
        $sender->close();
    }

    public function testQueueBoundDropsTheOldestAndCountsThem(): void
    {
        $this->bus->setEventOptions(['queueLimit' => 10]);
        $this->bus->subscribe(['interface' => self::INTERFACE, 'member' => 'Flood']);
        $sender = static::$private->connectPrivate();
        for ($i = 0; $i < 50; $i++) {
            $sender->emit('/x', self::INTERFACE, 'Flood', [$i]);
        }
        $sender->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Peer', 'Ping');
        usleep(200000);
        self::assertSame(40, $this->bus->droppedSignals());
        $seen = array_map(static function (Signal $signal): int {
            return $signal->getArg(0);
        }, self::drain($this->bus, 0.1));
        self::assertSame(range(40, 49), $seen, 'the newest are kept');

        // The same bound on the signals kept while serving.
        for ($i = 0; $i < 30; $i++) {
            $sender->emit('/x', self::INTERFACE, 'Flood', [$i]);
            if ($i % 5 === 4) {
                usleep(20000);
                $this->bus->process();
            }
        }
        usleep(100000);
        $this->bus->process();
        self::assertSame(10, $this->bus->eventStats()['php_kept_signals']);
        self::assertSame(60, $this->bus->droppedSignals());
        self::assertSame(20, self::drain($this->bus, 0.1)[0]->getArg(0));
        $sender->close();
    }

    public function testEventStreamIsReadableWhileASignalWaits(): void
    {
        $this->bus->subscribe(['interface' => self::INTERFACE, 'member' => 'Polled']);
        $stream = $this->bus->eventStream();
        $read = [$stream];
        $none = null;
        self::assertSame(0, stream_select($read, $none, $none, 0, 100000));
        self::dbusSend('/x', 'Polled');
        $read = [$stream];
        self::assertSame(1, stream_select($read, $none, $none, 5));
        self::assertSame('Polled', $this->bus->nextSignal(0)->getMember());
        $read = [$stream];
        self::assertSame(0, stream_select($read, $none, $none, 0, 50000), 'not readable once taken');
        fclose($stream);
        self::dbusSend('/x', 'Polled');
        self::assertNotNull($this->bus->nextSignal(5.0), 'closing the stream leaves the library\'s descriptor alone');
    }

    public function testInterruptEndsTheWaitAndTheGenerator(): void
    {
        $this->bus->subscribe(['interface' => self::INTERFACE, 'member' => 'NeverSent']);
        $this->bus->interrupt();
        $start = microtime(true);
        self::assertNull($this->bus->nextSignal(10.0));
        self::assertSame(0, iterator_count((function () {
            $this->bus->interrupt();
            yield from $this->bus->signals();
        })()));
        self::assertLessThan(1.0, microtime(true) - $start);
    }

    public function testBadMatchesAndWaits(): void
    {
        foreach ([['member' => 5], ['bytes' => 'base64'], ['variants' => 'other'], ['nonsense' => 'x'], ['path' => 'not a path']] as $match) {
            try {
                $this->bus->subscribe($match);
                self::fail('accepted ' . json_encode($match));
            } catch (InvalidArgumentException $e) {
                self::assertNotSame('', $e->getMessage());
            }
        }
        $this->expectException(InvalidArgumentException::class);
        $this->bus->nextSignal(-1.0);
    }

    public function testClosedBus(): void
    {
        $this->bus->close();
        $this->expectException(DisconnectedException::class);
        $this->bus->nextSignal(0);
    }
}
