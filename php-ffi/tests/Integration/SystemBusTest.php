<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Exception\AccessDeniedException;
use SkypeBus\Exception\InteractiveAuthorizationRequiredException;
use SkypeBus\Exception\ServiceUnknownException;
use SkypeBus\Tests\Support\PrivateBus;

/**
 * What a system bus does to calls, on a private bus whose configuration
 * (tests/support/bus-policy.conf) has a policy and a service directory: policy denials,
 * interactive authorization (its header flag checked on the wire with dbus-monitor), and service
 * activation with and without noAutoStart.
 */
final class SystemBusTest extends IntegrationTestCase
{
    private const GUARDED = 'net.skypebus.Test.Guarded';
    private const PATH = '/net/skypebus/Test/Guarded';
    private const ACTIVATED = 'net.skypebus.Test.Activated';

    public static function setUpBeforeClass(): void
    {
        static::$private = PrivateBus::startWithConfig('bus-policy.conf');
        file_put_contents(
            static::$private->directory() . '/services/' . self::ACTIVATED . '.service',
            sprintf(
                "[D-BUS Service]\nName=%s\nExec=%s %s %s\n",
                self::ACTIVATED,
                PrivateBus::PYTHON,
                dirname(__DIR__) . '/Support/guarded_service.py',
                self::ACTIVATED
            )
        );
        static::$private->startService('guarded_service.py', self::GUARDED);
    }

    public function testThePolicyDeniesOneMethodAsAccessDenied(): void
    {
        self::assertSame(['allowed'], $this->bus->call(self::GUARDED, self::PATH, self::GUARDED, 'Allowed'));
        try {
            $this->bus->call(self::GUARDED, self::PATH, self::GUARDED, 'Forbidden');
            self::fail('the policy let Forbidden through');
        } catch (AccessDeniedException $e) {
            self::assertSame('org.freedesktop.DBus.Error.AccessDenied', $e->getErrorName());
            self::assertStringContainsString('Forbidden', $e->getMessage());
        }
        $proxy = $this->bus->proxy(self::GUARDED, self::PATH, self::GUARDED);
        $this->expectException(AccessDeniedException::class);
        $proxy->Forbidden();
    }

    public function testThePolicyDeniesOneNameAsAccessDenied(): void
    {
        $bus = static::$private->connectPrivate();
        try {
            $bus->requestName('net.skypebus.Test.Denied');
            self::fail('the policy let the name be owned');
        } catch (AccessDeniedException $e) {
            self::assertSame('org.freedesktop.DBus.Error.AccessDenied', $e->getErrorName());
        } finally {
            $bus->close();
        }
        self::assertFalse($this->bus->nameHasOwner('net.skypebus.Test.Denied'));
    }

    public function testInteractiveAuthorizationIsAskedForAndSetOnTheWire(): void
    {
        $capture = static::$private->directory() . '/monitor.pcap';
        $monitor = proc_open(
            ['dbus-monitor', '--address', static::$private->address(), '--pcap', "interface='" . self::GUARDED . "',member='Privileged'"],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', $capture, 'w'], 2 => ['file', '/dev/null', 'w']],
            $pipes
        );
        self::assertIsResource($monitor);
        try {
            // The monitor is in place once its own connection is on the bus (about 100 ms).
            $deadline = microtime(true) + 5;
            while (filesize($capture) < 24 && microtime(true) < $deadline) {
                clearstatcache();
                usleep(20000);
            }
            usleep(200000);
            try {
                $this->bus->call(self::GUARDED, self::PATH, self::GUARDED, 'Privileged');
                self::fail('Privileged answered without interactive authorization');
            } catch (InteractiveAuthorizationRequiredException $e) {
                self::assertSame('org.freedesktop.DBus.Error.InteractiveAuthorizationRequired', $e->getErrorName());
            }
            self::assertSame(['authorized'], $this->bus->call(self::GUARDED, self::PATH, self::GUARDED, 'Privileged', [], null, [
                'allowInteractiveAuthorization' => true,
            ]));
            $proxy = $this->bus->proxy(self::GUARDED, self::PATH, self::GUARDED, ['allowInteractiveAuthorization' => true]);
            self::assertSame('authorized', $proxy->Privileged());
            $flags = [];
            $deadline = microtime(true) + 5;
            while (count($flags) < 3 && microtime(true) < $deadline) {
                usleep(50000);
                $flags = self::callFlags((string) file_get_contents($capture), 'Privileged');
            }
        } finally {
            proc_terminate($monitor);
            proc_close($monitor);
        }
        // The flags byte of each call to Privileged, in order: none, then
        // ALLOW_INTERACTIVE_AUTHORIZATION (0x4) from call() and from the proxy.
        self::assertSame([0, 4, 4], $flags);
    }

    public function testServiceActivationStartsAPeerUnlessNoAutoStart(): void
    {
        self::assertFalse($this->bus->nameHasOwner(self::ACTIVATED));
        try {
            $this->bus->call(self::ACTIVATED, self::PATH, self::GUARDED, 'Pid', [], null, ['noAutoStart' => true]);
            self::fail('a noAutoStart call reached an unowned name');
        } catch (ServiceUnknownException $e) {
            // The bus's own answer to a call that may not start its destination.
            self::assertSame('org.freedesktop.DBus.Error.NameHasNoOwner', $e->getErrorName());
            self::assertStringContainsString(self::ACTIVATED, $e->getMessage());
        }
        self::assertFalse($this->bus->nameHasOwner(self::ACTIVATED), 'noAutoStart started the service');
        self::assertNull($this->bus->getNameOwner(self::ACTIVATED));

        // The first call without the flag starts the service from its .service file.
        [$pid] = $this->bus->call(self::ACTIVATED, self::PATH, self::GUARDED, 'Pid', [], null, ['timeout' => 20]);
        self::assertIsInt($pid);
        self::assertGreaterThan(0, $pid);
        $owner = $this->bus->getNameOwner(self::ACTIVATED);
        self::assertNotNull($owner);
        self::assertStringStartsWith(':', $owner);
        self::assertTrue($this->bus->nameHasOwner(self::ACTIVATED));
        self::assertStringContainsString('guarded_service.py', (string) @file_get_contents("/proc/$pid/cmdline"));
        // Now that it runs, noAutoStart calls reach it.
        self::assertSame([$pid], $this->bus->call(self::ACTIVATED, self::PATH, self::GUARDED, 'Pid', [], null, ['noAutoStart' => true]));
        posix_kill($pid, SIGTERM);
    }

    public function testFlagOptionsAreChecked(): void
    {
        $this->expectException(\SkypeBus\Exception\InvalidArgumentException::class);
        $this->expectExceptionMessage('The option "noAutoStart" must be a bool');
        $this->bus->call(self::GUARDED, self::PATH, self::GUARDED, 'Allowed', [], null, ['noAutoStart' => 1]);
    }

    /**
     * The header flags byte of every method call to $member in a dbus-monitor --pcap capture.
     *
     * @return list<int>
     */
    private static function callFlags(string $pcap, string $member): array
    {
        $flags = [];
        $offset = 24;
        while ($offset + 16 <= strlen($pcap)) {
            $length = unpack('V', $pcap, $offset + 8)[1];
            $message = substr($pcap, $offset + 16, $length);
            $offset += 16 + $length;
            if (strlen($message) === $length && ord($message[1]) === 1 && strpos($message, "\0" . $member . "\0") !== false) {
                $flags[] = ord($message[2]);
            }
        }
        return $flags;
    }
}
