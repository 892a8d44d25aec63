<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Unit;

use PHPUnit\Framework\TestCase;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Internal\Introspection;

/**
 * Lookups in introspection data of the library's schema (docs/introspection.md).
 */
final class IntrospectionTest extends TestCase
{
    /**
     * @return array<string, mixed>
     */
    private static function data(): array
    {
        return json_decode(<<<'JSON'
{
  "destination": "org.freedesktop.Notifications",
  "path": "/org/freedesktop/Notifications",
  "interfaces": [
    {"name": "org.freedesktop.Notifications",
     "methods": [
       {"name": "Notify", "in_signature": "susssasa{sv}i", "out_signature": "u",
        "in": [{"name": "app_name", "type": "s"}], "out": [{"name": "id", "type": "u"}]},
       {"name": "GetServerInformation", "in_signature": "", "out_signature": "ssss", "in": [], "out": []}
     ],
     "properties": [{"name": "Volume", "type": "d", "access": "readwrite"}],
     "signals": [{"name": "Closed", "signature": "uu", "args": []}]},
    {"name": "org.freedesktop.DBus.Properties",
     "methods": [{"name": "Get", "in_signature": "ss", "out_signature": "v", "in": [], "out": []}],
     "properties": [], "signals": []},
    {"name": "com.example.Other",
     "methods": [{"name": "Get", "in_signature": "u", "out_signature": "", "in": [], "out": []}],
     "properties": [{"name": "Volume", "type": "u", "access": "read"}, {"name": "Level", "type": "y", "access": "read"}],
     "signals": []}
  ],
  "nodes": ["child"]
}
JSON
            , true);
    }

    public function testFindsProperties(): void
    {
        $data = new Introspection(self::data());
        self::assertSame(
            ['interface' => 'org.freedesktop.Notifications', 'type' => 'd', 'access' => 'readwrite'],
            $data->findProperty('Volume', 'org.freedesktop.Notifications')
        );
        self::assertSame(['interface' => 'com.example.Other', 'type' => 'y', 'access' => 'read'], $data->findProperty('Level', null));
        self::assertNull($data->findProperty('Level', 'org.freedesktop.Notifications'));
        self::assertNull($data->findProperty('Nope', null));
    }

    public function testFindsTheInterfaceOfAMethod(): void
    {
        $data = new Introspection(self::data());
        self::assertSame('org.freedesktop.Notifications', $data->methodInterface('Notify'));
        self::assertNull($data->methodInterface('Nope'));
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage('"Get" is a method of several interfaces (org.freedesktop.DBus.Properties, com.example.Other)');
        $data->methodInterface('Get');
    }

    public function testListsMethods(): void
    {
        $data = new Introspection(self::data());
        self::assertSame(['com.example.Other.Get'], $data->methodNames('com.example.Other'));
        self::assertSame([
            'org.freedesktop.Notifications.Notify',
            'org.freedesktop.Notifications.GetServerInformation',
            'org.freedesktop.DBus.Properties.Get',
            'com.example.Other.Get',
        ], $data->methodNames(null));
        self::assertSame([], (new Introspection([]))->methodNames(null));
    }

    public function testAmbiguousPropertiesNameTheirInterfaces(): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage('"Volume" is a property of several interfaces (org.freedesktop.Notifications, com.example.Other)');
        (new Introspection(self::data()))->findProperty('Volume', null);
    }
}
