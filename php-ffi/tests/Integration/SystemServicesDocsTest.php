<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Tests\Support\PrivateBus;

/**
 * The examples of docs/system-services.md run as written, in PHP processes whose session bus is
 * the private bus, against dbusmock templates (timedated, notification_daemon, networkmanager)
 * and gdbus.
 */
final class SystemServicesDocsTest extends IntegrationTestCase
{
    private const NM = 'org.freedesktop.NetworkManager';

    protected static function startPeers(PrivateBus $bus): void
    {
        $bus->startTemplate('timedated', 'org.freedesktop.timedate1');
        $bus->startTemplate('networkmanager', self::NM);
    }

    private static function script(string $name): string
    {
        return self::docsExample('system-services.md', $name);
    }

    public function testSystemCallsExample(): void
    {
        self::assertSame(
            "Timezone: Europe/Berlin\nhostnamed does not run: org.freedesktop.DBus.Error.NameHasNoOwner\n",
            self::runOk([PHP_BINARY, self::script('system-calls')])
        );
    }

    public function testWatchNameExampleSeesTheServiceComeAndGo(): void
    {
        $bus = static::$private;
        $script = $bus->spawn([PHP_BINARY, self::script('watch-name')]);
        $bus->waitForOutput($script, "Notifications now: nobody\n");
        $daemon = $bus->startTemplate('notification_daemon', 'org.freedesktop.Notifications');
        $owner = $this->bus->getNameOwner('org.freedesktop.Notifications');
        self::assertNotNull($owner);
        $bus->waitForOutput($script, "Notifications are served by $owner\n");
        $bus->kill($daemon);
        $output = $bus->waitForOutput($script, "Notifications are gone\n");
        $bus->kill($script);
        self::assertSame("Notifications now: nobody\nNotifications are served by $owner\nNotifications are gone\n", $output);
    }

    public function testCredentialsExampleTellsTheCallersUid(): void
    {
        $bus = static::$private;
        $script = $bus->spawn([PHP_BINARY, self::script('credentials')]);
        $bus->waitForName('org.example.Clock');
        $reply = self::runOk(['gdbus', 'call', '--session', '-d', 'org.example.Clock', '-o', '/org/example/Clock', '-m', 'org.example.Clock.Now']);
        $bus->kill($script);
        self::assertMatchesRegularExpression(sprintf("/^\\('It is \\d\\d:\\d\\d, uid %d \\(pid \\d+\\)',\\)\\n$/", posix_geteuid()), $reply);
    }

    public function testLiveObjectsExampleFollowsDevicesAndConnectivity(): void
    {
        $bus = static::$private;
        $mock = static function (string $method, array $args, string $signature): void {
            $client = static::$private->connect();
            $client->call(self::NM, '/org/freedesktop', 'org.freedesktop.DBus.Mock', $method, $args, $signature);
        };
        $mock('AddEthernetDevice', ['doc_eth0', 'eth0', 100], 'ssi');
        $script = $bus->spawn([PHP_BINARY, self::script('live-objects')]);
        $bus->waitForOutput($script, "Connectivity 4\n");
        $mock('AddWiFiDevice', ['doc_wlan0', 'wlan0', 30], 'ssi');
        $bus->waitForOutput($script, "Added wlan0\n");
        $mock('SetConnectivity', [2], 'u');
        $output = $bus->waitForOutput($script, "Connectivity 2\n");
        $bus->kill($script);
        self::assertSame("Device eth0\nConnectivity 4\nAdded wlan0\nConnectivity 2\n", $output);
    }
}
