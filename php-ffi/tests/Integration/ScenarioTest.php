<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Tests\Support\PrivateBus;
use SkypeBus\Type\Byte;
use SkypeBus\Type\Variant;

/**
 * Real services, as dbusmock templates, used the way a PHP developer would: proxies, plain PHP
 * values, no signatures. (The templates' own Mock interface sets the scene.)
 */
final class ScenarioTest extends IntegrationTestCase
{
    protected static function startPeers(PrivateBus $bus): void
    {
        $bus->startTemplate('notification_daemon', 'org.freedesktop.Notifications');
        $bus->startTemplate('upower', 'org.freedesktop.UPower', ['OnBattery' => true, 'DaemonVersion' => '1.90.2']);
        $bus->startTemplate('networkmanager', 'org.freedesktop.NetworkManager');
    }

    public function testSendADesktopNotification(): void
    {
        $notifications = $this->bus->proxy('org.freedesktop.Notifications', '/org/freedesktop/Notifications');

        $id = $notifications->Notify(
            'skypebus',                             // app name
            0,                                      // replaces id
            'dialog-information',                   // icon
            'New message',                          // summary
            'Alice: lunch at noon?',                // body
            ['default', 'Open', 'reply', 'Reply'],  // actions
            ['urgency' => new Byte(2), 'category' => 'im.received', 'x' => 10, 'y' => 20],
            5000                                    // expire timeout (ms)
        );
        self::assertIsInt($id);
        self::assertGreaterThan(0, $id);
        [$name, $vendor, $version, $specVersion] = $notifications->GetServerInformation();
        self::assertSame('mock-notify', $name);
        self::assertContains('body', $notifications->GetCapabilities());

        // What arrived, with its types (dbusmock's call log, variants typed).
        $mock = $this->bus->proxy('org.freedesktop.Notifications', '/org/freedesktop/Notifications', 'org.freedesktop.DBus.Mock', ['variants' => 'typed']);
        $calls = $mock->GetMethodCalls('Notify');
        [, $args] = end($calls);
        $types = array_map(static function (Variant $arg): string {
            return $arg->getSignature();
        }, $args);
        self::assertSame(['s', 'u', 's', 's', 's', 'as', 'a{sv}', 'i'], $types);
        $hints = $args[6]->getValue();
        self::assertSame('y', $hints['urgency']->getSignature());
        self::assertSame(2, $hints['urgency']->getValue());
        self::assertSame('s', $hints['category']->getSignature());
        self::assertSame('im.received', $hints['category']->getValue());
        self::assertSame('i', $hints['x']->getSignature());
        self::assertSame(['default', 'Open', 'reply', 'Reply'], $args[5]->getValue());

        // Replacing the notification gives its id back.
        self::assertSame($id, $notifications->Notify('skypebus', $id, '', 'Updated', '', [], [], -1));
        $notifications->CloseNotification($id);
    }

    public function testReadTheBatteryState(): void
    {
        $mock = $this->bus->proxy('org.freedesktop.UPower', '/org/freedesktop/UPower', 'org.freedesktop.DBus.Mock');
        $mock->AddDischargingBattery('mock_BAT', 'Mock Battery', 42.5, 3600);
        $mock->AddAC('mock_AC', 'Mock AC');

        $upower = $this->bus->proxy('org.freedesktop.UPower', '/org/freedesktop/UPower');
        self::assertTrue($upower->OnBattery);
        self::assertSame('1.90.2', $upower->DaemonVersion);

        $batteries = [];
        foreach ($upower->EnumerateDevices() as $path) {
            $device = $this->bus->proxy('org.freedesktop.UPower', $path, 'org.freedesktop.UPower.Device');
            if ($device->PowerSupply && isset($device->Percentage)) {
                $batteries[$path] = [
                    'model' => $device->Model,
                    'percentage' => $device->Percentage,
                    'state' => $device->State,
                    'timeToEmpty' => $device->TimeToEmpty,
                ];
            }
        }
        self::assertSame(['/org/freedesktop/UPower/devices/mock_BAT' => [
            'model' => 'Mock Battery',
            'percentage' => 42.5,
            'state' => 2,             // discharging
            'timeToEmpty' => 3600,
        ]], $batteries);

        $display = $this->bus->proxy('org.freedesktop.UPower', $upower->GetDisplayDevice(), 'org.freedesktop.UPower.Device');
        self::assertIsFloat($display->Percentage);
        $all = $this->bus->getAllProperties('org.freedesktop.UPower', '/org/freedesktop/UPower/devices/mock_BAT', 'org.freedesktop.UPower.Device');
        self::assertSame(42.5, $all['Percentage']);
    }

    public function testListNetworkDevices(): void
    {
        $mock = $this->bus->proxy('org.freedesktop.NetworkManager', '/org/freedesktop', 'org.freedesktop.DBus.Mock');
        $mock->AddEthernetDevice('mock_Ethernet1', 'eth0', 100);
        $mock->AddWiFiDevice('mock_WiFi1', 'wlan0', 30);

        $nm = $this->bus->proxy('org.freedesktop.NetworkManager', '/org/freedesktop/NetworkManager');
        self::assertSame('0.9.6.0', $nm->Version);
        $devices = [];
        foreach ($nm->GetDevices() as $path) {
            $device = $this->bus->proxy('org.freedesktop.NetworkManager', $path, 'org.freedesktop.NetworkManager.Device');
            $devices[$device->Interface] = ['type' => $device->DeviceType, 'state' => $device->State, 'managed' => $device->Managed];
        }
        ksort($devices);
        self::assertSame([
            'eth0' => ['type' => 1, 'state' => 100, 'managed' => true],
            'wlan0' => ['type' => 2, 'state' => 30, 'managed' => true],
        ], $devices);
        self::assertSame($nm->GetDevices(), $nm->Devices);
        self::assertSame('/org/freedesktop/NetworkManager/Devices/mock_Ethernet1', $nm->GetDeviceByIpIface('eth0'));

        // The object manager lists everything in one call: a{oa{sa{sv}}}.
        $objects = $this->bus->proxy('org.freedesktop.NetworkManager', '/org/freedesktop')->GetManagedObjects();
        self::assertSame('eth0', $objects['/org/freedesktop/NetworkManager/Devices/mock_Ethernet1']['org.freedesktop.NetworkManager.Device']['Interface']);
    }
}
