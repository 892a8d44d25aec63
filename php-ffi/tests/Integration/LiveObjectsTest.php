<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Bus;
use SkypeBus\NameOwnerChange;
use SkypeBus\Signal;
use SkypeBus\Tests\Support\PrivateBus;

/**
 * What a long-running client of system services follows, against peers we did not write:
 * dbusmock's networkmanager template (an object tree whose devices come and go, properties that
 * change, signals of one object), a dbusmock peer started and killed during the test (name
 * watching), and gdbus calling an object of ours (the caller's credentials).
 */
final class LiveObjectsTest extends IntegrationTestCase
{
    private const NM = 'org.freedesktop.NetworkManager';
    private const NM_MANAGER = '/org/freedesktop/NetworkManager';
    private const NM_DEVICE = 'org.freedesktop.NetworkManager.Device';
    private const MOCK = 'org.freedesktop.DBus.Mock';
    private const WATCHED = 'net.skypebus.Test.Watched';

    protected static function startPeers(PrivateBus $bus): void
    {
        $bus->startTemplate('networkmanager', self::NM);
    }

    protected function setUp(): void
    {
        // Signals need a connection of our own.
        $this->bus = static::$private->connectPrivate();
    }

    /** Calls a mock method of the template (on its main object). */
    private function mock(string $method, array $args, string $signature)
    {
        return $this->bus->call(self::NM, '/org/freedesktop', self::MOCK, $method, $args, $signature);
    }

    /** Runs process() until $done() holds (at most 5 s). */
    private function processUntil(callable $done, string $what): void
    {
        $deadline = microtime(true) + 5.0;
        while (!$done()) {
            self::assertLessThan($deadline, microtime(true), "timed out waiting for $what");
            $this->bus->process();
            usleep(5000);
        }
    }

    public function testTheObjectTreeFollowsDevicesAddedAndRemoved(): void
    {
        $tree = $this->bus->objectManager(self::NM, '/org/freedesktop');
        $objects = $tree->getObjects();
        self::assertSame('0.9.6.0', $objects[self::NM_MANAGER][self::NM]['Version']);
        self::assertSame([], $objects[self::NM_MANAGER][self::NM]['Devices']);
        self::assertArrayHasKey('/org/freedesktop/NetworkManager/Settings', $objects);

        [$device] = $this->mock('AddEthernetDevice', ['mock_eth1', 'eth1', 30], 'ssi');
        self::assertSame('/org/freedesktop/NetworkManager/Devices/mock_eth1', $device);
        $this->processUntil(static function () use ($tree, $device): bool {
            return isset($tree->getObject($device)[self::NM_DEVICE]);
        }, 'InterfacesAdded');
        $added = $tree->getObject($device);
        self::assertSame('eth1', $added[self::NM_DEVICE]['Interface']);
        self::assertSame(30, $added[self::NM_DEVICE]['State']);
        self::assertSame('78:DD:08:D2:3D:43', $added['org.freedesktop.NetworkManager.Device.Wired']['HwAddress']);
        // The manager's Devices property came with PropertiesChanged.
        $this->processUntil(static function () use ($tree, $device): bool {
            return $tree->getObject(self::NM_MANAGER)[self::NM]['Devices'] === [$device];
        }, 'PropertiesChanged of Devices');
        // A property of the device changes.
        $this->mock('SetDeviceActive', [$device, '/org/freedesktop/NetworkManager/ActiveConnection/1'], 'ss');
        $this->processUntil(static function () use ($tree, $device): bool {
            return $tree->getObject($device)[self::NM_DEVICE]['State'] === 100;
        }, 'PropertiesChanged of State');
        self::assertSame('/org/freedesktop/NetworkManager/ActiveConnection/1', $tree->getObject($device)[self::NM_DEVICE]['ActiveConnection']);

        // An access point comes and goes (the template's removal sends InterfacesRemoved).
        [$wifi] = $this->mock('AddWiFiDevice', ['mock_wlan1', 'wlan1', 30], 'ssi');
        [$ap] = $this->mock('AddAccessPoint', [$wifi, 'ap1', 'Ssid', '00:11:22:33:44:55', 2, 2437, 54000, 80, 0], 'ssssuuuyu');
        $this->processUntil(static function () use ($tree, $ap): bool {
            return isset($tree->getObject($ap)['org.freedesktop.NetworkManager.AccessPoint']);
        }, 'the access point');
        self::assertSame(80, $tree->getObject($ap)['org.freedesktop.NetworkManager.AccessPoint']['Strength']);
        $this->mock('RemoveAccessPoint', [$wifi, $ap], 'ss');
        $this->processUntil(static function () use ($tree, $ap): bool {
            return $tree->getObject($ap) === null;
        }, 'InterfacesRemoved');
        // The tree is what GetManagedObjects says now.
        $current = $tree->getObjects();
        $tree->refresh();
        self::assertEquals($tree->getObjects(), $current);
        $tree->close();
        self::assertSame(0, $this->bus->eventStats()['subscriptions']);
    }

    public function testACachedProxyTakesChangesFromPropertiesChangedWithoutACall(): void
    {
        $calls = new class () {
            /** @var list<string> */
            public $lines = [];

            /** @param mixed $level */
            public function log($level, string $message, array $context = []): void
            {
                $this->lines[] = $message;
            }

            public function gets(string $property): int
            {
                return count(array_filter($this->lines, static function (string $line) use ($property): bool {
                    return strpos($line, '-> call') === 0 && strpos($line, 'Properties.Get ') !== false
                        && strpos($line, '"' . $property . '"') !== false;
                }));
            }
        };
        $this->bus->setLogger($calls);
        $manager = $this->bus->proxy(self::NM, self::NM_MANAGER, self::NM, ['cacheProperties' => true]);
        $plain = $this->bus->proxy(self::NM, self::NM_MANAGER, self::NM);
        self::assertSame(4, $manager->Connectivity);
        self::assertSame(4, $manager->Connectivity);
        self::assertSame(1, $calls->gets('Connectivity'), 'read once');

        $this->mock('SetConnectivity', [2], 'u');
        $this->processUntil(static function () use ($manager): bool {
            return $manager->Connectivity === 2;
        }, 'the new Connectivity');
        self::assertSame(1, $calls->gets('Connectivity'), 'the change came without a call');
        self::assertSame(2, $plain->Connectivity);
        self::assertSame(2, $calls->gets('Connectivity'));

        // An invalidated property is read again on its next access, once.
        self::assertSame('0.9.6.0', $manager->Version);
        $this->bus->call(self::NM, self::NM_MANAGER, self::MOCK, 'EmitSignal', [
            'org.freedesktop.DBus.Properties', 'PropertiesChanged', 'sa{sv}as', [self::NM, [], ['Version']],
        ], 'sssav');
        $this->bus->process();
        self::assertSame(1, $calls->gets('Version'));
        self::assertSame('0.9.6.0', $manager->Version);
        self::assertSame('0.9.6.0', $manager->Version);
        self::assertSame(2, $calls->gets('Version'));

        // The subscription ends with the proxy.
        self::assertSame(1, $this->bus->eventStats()['subscriptions']);
        unset($manager);
        self::assertSame(0, $this->bus->eventStats()['subscriptions']);
    }

    public function testProxyOnRunsTheHandlerWithTheSignalsArgumentsUntilUnsubscribed(): void
    {
        [$path] = $this->mock('AddEthernetDevice', ['mock_eth2', 'eth2', 30], 'ssi');
        // dbusmock declares no signals in its introspection data: the proxy names the interface.
        $device = $this->bus->proxy(self::NM, $path, self::NM_DEVICE);
        $seen = [];
        $subscription = $device->on('StateChanged', static function (int $new, int $old, int $reason) use (&$seen): void {
            $seen[] = [$new, $old, $reason];
        });
        $this->mock('SetDeviceActive', [$path, '/org/freedesktop/NetworkManager/ActiveConnection/2'], 'ss');
        $this->processUntil(static function () use (&$seen): bool {
            return $seen !== [];
        }, 'StateChanged');
        self::assertSame([[100, 30, 1]], $seen);
        self::assertNull($this->bus->nextSignal(0), 'a signal taken by a handler is not also for nextSignal()');

        $subscription->unsubscribe();
        // The signals of a call come before its reply: they are here when it returns.
        $this->mock('SetDeviceDisconnected', [$path], 's');
        $this->bus->process();
        usleep(100000);
        $this->bus->process();
        self::assertSame([[100, 30, 1]], $seen);
    }

    public function testWatchingANameThatComesAndGoes(): void
    {
        $changes = [];
        $this->bus->watchName(self::WATCHED, static function (NameOwnerChange $change) use (&$changes): void {
            $changes[] = $change;
        });
        $plain = $this->bus->watchName(self::WATCHED);
        self::assertFalse($this->bus->nameHasOwner(self::WATCHED));
        self::assertNull($this->bus->getNameOwner(self::WATCHED));

        $peer = static::$private->startMock(self::WATCHED, '/net/skypebus/Test/Watched', 'net.skypebus.Test.Watched');
        $owner = $this->bus->getNameOwner(self::WATCHED);
        self::assertNotNull($owner);
        self::assertTrue($this->bus->nameHasOwner(self::WATCHED));
        $this->processUntil(static function () use (&$changes): bool {
            return count($changes) === 1;
        }, 'the name gained an owner');
        self::assertSame([self::WATCHED, null, $owner, true], [$changes[0]->getName(), $changes[0]->getOldOwner(), $changes[0]->getNewOwner(), $changes[0]->hasOwner()]);

        static::$private->kill($peer);
        $this->processUntil(static function () use (&$changes): bool {
            return count($changes) === 2;
        }, 'the name lost its owner');
        self::assertSame([self::WATCHED, $owner, null, false], [$changes[1]->getName(), $changes[1]->getOldOwner(), $changes[1]->getNewOwner(), $changes[1]->hasOwner()]);
        self::assertFalse($this->bus->nameHasOwner(self::WATCHED));

        // Without a handler, the same events are signals for nextSignal().
        $signals = [];
        while (($signal = $this->bus->nextSignal(0)) !== null) {
            $signals[] = $signal;
        }
        self::assertSame([[self::WATCHED, '', $owner], [self::WATCHED, $owner, '']], array_map(static function (Signal $signal): array {
            return $signal->getArgs();
        }, $signals));
        self::assertTrue($signals[0]->matches($plain));
    }

    public function testOurOwnObjectManagerIsFollowedByAnObjectTree(): void
    {
        $server = static::$private->connectPrivate();
        $server->export('/net/skypebus/Test/Tree', new \stdClass(), '<node/>', ['objectManager' => true]);
        $xml = '<node><interface name="net.skypebus.Test.Thing"><property name="Name" type="s" access="read"/>'
            . '<property name="Size" type="u" access="read"/></interface></node>';
        $first = $server->export('/net/skypebus/Test/Tree/first', new \stdClass(), $xml, [
            'properties' => ['net.skypebus.Test.Thing' => ['Name' => 'first', 'Size' => 1]],
        ]);
        $tree = $this->bus->objectManager($server->getUniqueName(), '/net/skypebus/Test/Tree');
        self::assertSame(['/net/skypebus/Test/Tree/first' => ['net.skypebus.Test.Thing' => ['Name' => 'first', 'Size' => 1]]], $tree->getObjects());

        $second = $server->export('/net/skypebus/Test/Tree/second', new \stdClass(), $xml, [
            'properties' => ['net.skypebus.Test.Thing' => ['Name' => 'second']],
        ]);
        $first->setProperty('net.skypebus.Test.Thing', 'Size', 2);
        $server->unexport('/net/skypebus/Test/Tree/first');
        $this->processUntil(static function () use ($tree): bool {
            return array_keys($tree->getObjects()) === ['/net/skypebus/Test/Tree/second'];
        }, 'the second object, without the first');
        self::assertSame(['Name' => 'second'], $tree->getObject('/net/skypebus/Test/Tree/second')['net.skypebus.Test.Thing']);
        $second->setProperty('net.skypebus.Test.Thing', 'Size', 7);
        $this->processUntil(static function () use ($tree): bool {
            return ($tree->getObject('/net/skypebus/Test/Tree/second')['net.skypebus.Test.Thing']['Size'] ?? null) === 7;
        }, 'PropertiesChanged of Size');
        $server->close();
    }

    public function testAServedCallTellsTheCallersUidAndPid(): void
    {
        $handler = new class () {
            /** @var Bus */
            public $bus;

            /** @var list<array<string, mixed>> */
            public $seen = [];

            public function whoAmI(): string
            {
                $call = $this->bus->currentCall();
                $this->seen[] = ['sender' => $call->getSender()] + $call->getCredentials()
                    + ['cached' => $this->bus->eventStats()['php_cached_credentials']];
                return 'ok';
            }
        };
        $handler->bus = $this->bus;
        $this->bus->export('/net/skypebus/Test/Who', $handler, '<node><interface name="net.skypebus.Test.Who">'
            . '<method name="whoAmI"><arg type="s" direction="out"/></method></interface></node>');
        $caller = static::$private->spawn(['gdbus', 'call', '--session', '--dest', $this->bus->getUniqueName(),
            '--object-path', '/net/skypebus/Test/Who', '--method', 'net.skypebus.Test.Who.whoAmI']);
        $pid = proc_get_status($caller)['pid'];
        $deadline = microtime(true) + 10;
        while ($handler->seen === [] && microtime(true) < $deadline) {
            $this->bus->serve(0.05);
        }
        self::assertCount(1, $handler->seen, static::$private->logs());
        $seen = $handler->seen[0];
        self::assertSame($pid, $seen['pid']);
        self::assertSame(posix_geteuid(), $seen['uid']);
        self::assertStringStartsWith(':', $seen['sender']);
        self::assertSame($seen['uid'], $seen['all']['UnixUserID']);
        self::assertContains(posix_getegid(), $seen['groups']);
        // Cached until the caller disconnects (gdbus exits once answered).
        self::assertSame(1, $seen['cached']);
        $this->processUntil(function (): bool {
            return $this->bus->eventStats()['php_cached_credentials'] === 0;
        }, 'the caller to disconnect');
    }
}
