<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\UnknownMethodException;
use SkypeBus\Tests\Support\PrivateBus;
use SkypeBus\Type\UInt32;
use SkypeBus\Type\Variant;

/**
 * Proxies against a GDBus service whose introspection declares real types (GDBus refuses
 * anything else, so a successful call proves the types sent) and against the bus driver.
 */
final class ProxyTest extends IntegrationTestCase
{
    private const TYPED = 'net.skypebus.Test.Typed';
    private const TYPED_PATH = '/net/skypebus/Test/Typed';

    protected static function startPeers(PrivateBus $bus): void
    {
        $bus->startService('typed_service.py', self::TYPED);
    }

    public function testMethodsTakeTheirSignatureFromIntrospection(): void
    {
        // Sum takes "uu": plain PHP ints would be inferred as "ii", which GDBus refuses.
        $typed = $this->bus->proxy(self::TYPED, self::TYPED_PATH);
        self::assertSame(5, $typed->Sum(2, 3));
        self::assertSame(4294967295, $typed->Sum(4294967294, 1));
        self::assertSame('y', $typed->Describe(new \SkypeBus\Type\Byte(2)));
        self::assertSame('d', $typed->Describe(0.5));
    }

    public function testReplyShapes(): void
    {
        $typed = $this->bus->proxy(self::TYPED, self::TYPED_PATH, self::TYPED);
        self::assertNull($typed->Touch(), 'no reply value');
        self::assertSame(3, $typed->Sum(1, 2), 'one reply value as itself');
        self::assertSame(['two', 2], $typed->Pair(), 'several as a list');
    }

    public function testPropertiesAreSentAsTheirDeclaredType(): void
    {
        $typed = $this->bus->proxy(self::TYPED, self::TYPED_PATH);
        $typed->Count = 7;           // "u", not "i"
        $typed->Volume = 1;          // "d", from a PHP int
        $typed->Tags = ['x', 'y'];
        self::assertSame(7, $typed->Count);
        self::assertSame(1.0, $typed->Volume);
        self::assertSame(['x', 'y'], $typed->Tags);
        self::assertSame('typed', $typed->Name);
        $typed->Count = new UInt32(8);
        self::assertSame(8, $typed->Count);
        $typed->Volume = new Variant('d', 0.5);
        self::assertSame(0.5, $typed->Volume);
    }

    public function testIssetAndUnset(): void
    {
        $typed = $this->bus->proxy(self::TYPED, self::TYPED_PATH);
        self::assertTrue(isset($typed->Count));
        self::assertFalse(isset($typed->NoSuchProperty));
        $this->expectException(\LogicException::class);
        unset($typed->Count);
    }

    public function testAMethodThePeerDoesNotHave(): void
    {
        $typed = $this->bus->proxy(self::TYPED, self::TYPED_PATH, self::TYPED);
        try {
            $typed->Multiply(2, 3);
            self::fail('no exception');
        } catch (UnknownMethodException $e) {
            self::assertSame('org.freedesktop.DBus.Error.UnknownMethod', $e->getErrorName());
            self::assertStringContainsString('has no method "Multiply"', $e->getMessage());
            self::assertStringContainsString('net.skypebus.Test.Typed.Sum', $e->getMessage());
        }
    }

    public function testWrongArgumentCount(): void
    {
        $typed = $this->bus->proxy(self::TYPED, self::TYPED_PATH);
        $this->expectException(\SkypeBus\Exception\InvalidArgsException::class);
        $this->expectExceptionMessage('the signature "uu" (from the peer\'s introspection data) takes 2 argument(s), but 1 were given');
        $typed->Sum(1);
    }

    public function testNamedArgumentsFollowTheIntrospectionData(): void
    {
        // call_user_func_array() with string keys is what PHP 8 does for $typed->Sum(b: 2, a: 40).
        $typed = $this->bus->proxy(self::TYPED, self::TYPED_PATH);
        self::assertSame(42, call_user_func_array([$typed, 'Sum'], ['b' => 2, 'a' => 40]));
        self::assertSame(42, call_user_func_array([$typed, 'Sum'], [40, 'b' => 2]));
        $withInterface = $this->bus->proxy(self::TYPED, self::TYPED_PATH, self::TYPED);
        self::assertSame(5, call_user_func_array([$withInterface, 'Sum'], ['a' => 2, 'b' => 3]));
        // dbus-daemon names none of its arguments.
        $dbus = $this->bus->proxy('org.freedesktop.DBus', '/org/freedesktop/DBus');
        try {
            call_user_func_array([$dbus, 'GetNameOwner'], ['name' => 'org.freedesktop.DBus']);
            self::fail('named arguments were mapped to unnamed ones');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString('gives none to the arguments of GetNameOwner(): pass the arguments in order', $e->getMessage());
        }

        $refused = [
            'unknown' => [['a' => 1, 'c' => 2], 'Sum() has no argument named "c"; its arguments are: a (u), b (u)'],
            'missing' => [['b' => 2], 'Sum() needs its argument "a" (u)'],
            'twice' => [[1, 'a' => 2, 'b' => 3], 'Sum(): the argument "a" is given by position and by name'],
        ];
        foreach ($refused as $what => [$args, $message]) {
            try {
                call_user_func_array([$typed, 'Sum'], $args);
                self::fail("accepted the $what argument");
            } catch (InvalidArgumentException $e) {
                self::assertStringContainsString($message, $e->getMessage(), $what);
                self::assertSame('net.skypebus.Error.InvalidRequest', $e->getErrorName());
            }
        }
    }

    public function testNamedArgumentsWithoutIntrospectionDataAreRefusedClearly(): void
    {
        // dbusmock's object answers calls but declares no arguments of an unknown method.
        $nobody = $this->bus->proxy('net.skypebus.Test.Nobody', '/');
        try {
            call_user_func_array([$nobody, 'Anything'], ['name' => 'x']);
            self::fail('named arguments were sent without knowing their order');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString('named arguments need the peer\'s introspection data', $e->getMessage());
            self::assertStringContainsString('pass the arguments in order', $e->getMessage());
        }
    }

    public function testAnUnknownMethodSuggestsTheNearestName(): void
    {
        $typed = $this->bus->proxy(self::TYPED, self::TYPED_PATH);
        foreach (['Summ' => 'Sum', 'sum' => 'Sum', 'EchoByte' => 'EchoBytes'] as $typo => $meant) {
            try {
                $typed->{$typo}(1, 2);
                self::fail("$typo was called");
            } catch (\SkypeBus\Exception\UnknownMethodException $e) {
                self::assertStringContainsString(sprintf('did you mean "%s"?', $meant), $e->getMessage());
            }
        }
        try {
            $typed->Completely();
            self::fail('Completely was called');
        } catch (\SkypeBus\Exception\UnknownMethodException $e) {
            self::assertStringNotContainsString('did you mean', $e->getMessage());
        }
    }

    public function testAProxyCanBeGivenSignatures(): void
    {
        // For peers whose introspection data is missing or wrong: the given signature is sent
        // as is, so GDBus (which declares "uu") refuses "ss" itself.
        $typed = $this->bus->proxy(self::TYPED, self::TYPED_PATH, self::TYPED, ['signatures' => ['Sum' => 'ss'], 'timeout' => 5]);
        try {
            $typed->Sum('1', '2');
            self::fail('the signature was not used');
        } catch (\SkypeBus\Exception\InvalidArgsException $e) {
            self::assertSame('org.freedesktop.DBus.Error.InvalidArgs', $e->getErrorName());
        }
        $right = $this->bus->proxy(self::TYPED, self::TYPED_PATH, self::TYPED, ['signatures' => ['Sum' => 'uu']]);
        self::assertSame(3, $right->Sum(1, 2));
        foreach ([['signatures' => 'uu'], ['signatures' => ['Sum' => 5]], ['signatures' => ['Sum' => 'a{']]] as $options) {
            try {
                $this->bus->proxy(self::TYPED, self::TYPED_PATH, null, $options);
                self::fail('accepted ' . json_encode($options));
            } catch (InvalidArgumentException $e) {
                self::assertNotSame('', $e->getMessage());
            }
        }
    }

    public function testTheBusDriver(): void
    {
        $dbus = $this->bus->proxy('org.freedesktop.DBus', '/org/freedesktop/DBus');
        self::assertSame('org.freedesktop.DBus', $dbus->GetNameOwner('org.freedesktop.DBus'));
        self::assertSame(1, $dbus->RequestName('net.skypebus.Test.ByProxy', 4));
        self::assertTrue($dbus->NameHasOwner('net.skypebus.Test.ByProxy'));
        self::assertContains('HeaderFiltering', $dbus->Features);
        self::assertContains('org.freedesktop.DBus.Monitoring', $dbus->Interfaces);
        self::assertIsString($dbus->Introspect());
        $this->bus->proxy('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Peer')->Ping();
    }

    public function testProxyOptionsApplyToEveryCall(): void
    {
        $dbus = $this->bus->proxy('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', ['variants' => 'typed', 'timeout' => 5]);
        $credentials = $dbus->GetConnectionCredentials($this->bus->getUniqueName());
        self::assertInstanceOf(Variant::class, $credentials['UnixUserID']);
        self::assertSame('u', $credentials['UnixUserID']->getSignature());
        self::assertSame(posix_geteuid(), $credentials['UnixUserID']->getValue());
    }

    public function testPropertiesWithoutAnInterfaceTheObjectDoesNotDeclare(): void
    {
        $typed = $this->bus->proxy(self::TYPED, self::TYPED_PATH);
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage('declares no property "Nope": name its interface in Bus::proxy()');
        $typed->Nope;
    }

    public function testAPeerWithoutIntrospectionStillWorks(): void
    {
        // The bus driver's child paths do not introspect the driver's methods; calls still go out.
        $dbus = $this->bus->proxy('org.freedesktop.DBus', '/', 'org.freedesktop.DBus');
        self::assertIsString($dbus->GetId());
    }
}
