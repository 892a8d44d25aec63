<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Unit;

use PHPUnit\Framework\TestCase;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Internal\Introspection;

/**
 * @requires extension simplexml
 */
final class IntrospectionTest extends TestCase
{
    private const XML = <<<'XML'
<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg name="app_name" type="s" direction="in"/>
      <arg name="replaces_id" type="u" direction="in"/>
      <arg name="app_icon" type="s" direction="in"/>
      <arg name="summary" type="s" direction="in"/>
      <arg name="body" type="s" direction="in"/>
      <arg name="actions" type="as" direction="in"/>
      <arg name="hints" type="a{sv}" direction="in"/>
      <arg name="expire_timeout" type="i"/>
      <arg name="id" type="u" direction="out"/>
    </method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/><arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
    <property name="Volume" type="d" access="readwrite"/>
    <signal name="Closed"><arg type="u"/><arg type="u"/></signal>
  </interface>
  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get"><arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="v" direction="out"/></method>
  </interface>
  <interface name="com.example.Other">
    <method name="Get"><arg type="u" direction="in"/></method>
    <property name="Volume" type="u" access="read"/>
  </interface>
  <node name="child"/>
</node>
XML;

    public function testReadsMethodsAndProperties(): void
    {
        $data = Introspection::parse(self::XML);
        self::assertSame(['org.freedesktop.Notifications', 'org.freedesktop.DBus.Properties', 'com.example.Other'], $data->interfaceNames());
        self::assertSame(
            ['interface' => 'org.freedesktop.Notifications', 'in' => 'susssasa{sv}i', 'out' => 'u'],
            $data->findMethod('Notify', null)
        );
        self::assertSame(
            ['interface' => 'org.freedesktop.Notifications', 'in' => '', 'out' => 'ssss'],
            $data->findMethod('GetServerInformation', 'org.freedesktop.Notifications')
        );
        self::assertNull($data->findMethod('Notify', 'com.example.Other'));
        self::assertNull($data->findMethod('Nope', null));
        self::assertSame(['interface' => 'com.example.Other', 'in' => 'u', 'out' => ''], $data->findMethod('Get', 'com.example.Other'));
        self::assertSame(
            ['interface' => 'org.freedesktop.Notifications', 'type' => 'd', 'access' => 'readwrite'],
            $data->findProperty('Volume', 'org.freedesktop.Notifications')
        );
        self::assertSame(['com.example.Other.Get'], $data->methodNames('com.example.Other'));
        self::assertCount(4, $data->methodNames(null));
    }

    public function testAmbiguousMembersNameTheirInterfaces(): void
    {
        $data = Introspection::parse(self::XML);
        try {
            $data->findProperty('Volume', null);
            self::fail('no exception');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString('org.freedesktop.Notifications, com.example.Other', $e->getMessage());
        }
        $this->expectException(InvalidArgumentException::class);
        $data->findMethod('Get', null);
    }

    /**
     * Excluded on php-wasm 7.4, whose libxml error list crashes the WebAssembly runtime
     * (zend_llist dtor signature mismatch); it runs on the machine's PHP.
     *
     * @group libxml-errors
     */
    public function testMalformedXmlIsAnError(): void
    {
        foreach (['', '<node>', '<nope/>', 'not xml at all'] as $xml) {
            try {
                Introspection::parse($xml);
                self::fail('parsed ' . $xml);
            } catch (InvalidArgumentException $e) {
                self::assertSame('net.skypebus.Error.InvalidMessage', $e->getErrorName());
            }
        }
        self::assertSame([], Introspection::parse('<node/>')->interfaceNames());
    }

    /**
     * @group libxml-errors
     */
    public function testExternalEntitiesAreNotFetched(): void
    {
        $xml = '<!DOCTYPE node [<!ENTITY x SYSTEM "file:///etc/passwd">]><node><interface name="a.b"><method name="M"><arg type="s"/></method></interface><node name="&x;"/></node>';
        try {
            $data = Introspection::parse($xml);
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString('external entity', $e->getMessage());
            return;
        }
        self::assertSame(['a.b'], $data->interfaceNames());
    }
}
