<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Unit;

use PHPUnit\Framework\TestCase;
use SkypeBus\BusInterface;
use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\DisconnectedException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\ServiceUnknownException;
use SkypeBus\Exception\UnknownMethodException;
use SkypeBus\Exception\UnknownPropertyException;
use SkypeBus\PreparedCallInterface;
use SkypeBus\ProxyInterface;
use SkypeBus\Testing\FakeBus;

/**
 * The in-memory bus for users' tests: scripted replies, recorded calls, emitted signals, and the
 * errors a real bus gives for what is not there. Pure PHP (also runs on PHP 7.4).
 */
final class FakeBusTest extends TestCase
{
    private const LOGIN = 'org.freedesktop.login1';
    private const LOGIN_PATH = '/org/freedesktop/login1';
    private const MANAGER = 'org.freedesktop.login1.Manager';

    /** An application under test: it only knows BusInterface. */
    private static function suspendIfAllowed(BusInterface $bus): string
    {
        $manager = $bus->proxy(self::LOGIN, self::LOGIN_PATH, self::MANAGER);
        if ($manager->CanSuspend() !== 'yes') {
            return 'not allowed';
        }
        $manager->Suspend(false);
        $bus->emit('/org/example/App', 'org.example.App', 'Suspending', ['now']);
        return 'suspended';
    }

    public function testScriptedRepliesRecordedCallsAndEmittedSignals(): void
    {
        $bus = new FakeBus();
        $bus->on(self::LOGIN, self::LOGIN_PATH, self::MANAGER, 'CanSuspend', ['yes'])
            ->on(self::LOGIN, self::LOGIN_PATH, self::MANAGER, 'Suspend', []);
        self::assertSame('suspended', self::suspendIfAllowed($bus));
        self::assertSame(
            [
                ['destination' => self::LOGIN, 'path' => self::LOGIN_PATH, 'interface' => self::MANAGER, 'method' => 'CanSuspend', 'args' => [], 'signature' => null],
                ['destination' => self::LOGIN, 'path' => self::LOGIN_PATH, 'interface' => self::MANAGER, 'method' => 'Suspend', 'args' => [false], 'signature' => null],
            ],
            $bus->calls()
        );
        self::assertSame(
            [['path' => '/org/example/App', 'interface' => 'org.example.App', 'member' => 'Suspending', 'args' => ['now'], 'signature' => null, 'destination' => null]],
            $bus->emitted()
        );
        $bus->on(self::LOGIN, self::LOGIN_PATH, self::MANAGER, 'CanSuspend', ['no']);
        self::assertSame('not allowed', self::suspendIfAllowed($bus));
    }

    public function testCallablesThrowablesAndWhatProxiesReturn(): void
    {
        $bus = new FakeBus(':1.7');
        $bus->on('org.example.Calc', '/', null, 'Add', static function (array $args): array {
            return [$args[0] + $args[1]];
        });
        $bus->on('org.example.Calc', '/', 'org.example.Calc', 'Pair', ['a', 1]);
        $bus->on('org.example.Calc', '/', 'org.example.Calc', 'Fail', new DBusException('org.example.Error.Nope', 'nope'));
        self::assertSame([5], $bus->call('org.example.Calc', '/', 'org.example.Calc', 'Add', [2, 3]));
        $calc = $bus->proxy('org.example.Calc', '/', 'org.example.Calc');
        self::assertInstanceOf(ProxyInterface::class, $calc);
        self::assertSame(7, $calc->Add(3, 4));
        self::assertSame(['a', 1], $calc->Pair());
        self::assertSame(':1.7', $bus->getUniqueName());
        try {
            $calc->Fail();
            self::fail('no exception');
        } catch (DBusException $e) {
            self::assertSame('org.example.Error.Nope', $e->getErrorName());
        }
    }

    public function testPreparedCallsGoThroughCall(): void
    {
        $bus = new FakeBus();
        $bus->on('org.example.Calc', '/', 'org.example.Calc', 'Add', static function (array $args): array {
            return [$args[0] + $args[1]];
        });
        $add = $bus->prepare('org.example.Calc', '/', 'org.example.Calc', 'Add', 'ii', ['timeout' => 2]);
        self::assertInstanceOf(PreparedCallInterface::class, $add);
        self::assertSame([5], $add(2, 3));
        self::assertSame([9], $add->call([4, 5]));
        self::assertSame('org.example.Calc.Add', $add->getName());
        $call = ['destination' => 'org.example.Calc', 'path' => '/', 'interface' => 'org.example.Calc', 'method' => 'Add', 'signature' => 'ii'];
        self::assertSame([$call + ['args' => [2, 3]], $call + ['args' => [4, 5]]], array_map(static function (array $c): array {
            return ['destination' => $c['destination'], 'path' => $c['path'], 'interface' => $c['interface'], 'method' => $c['method'], 'signature' => $c['signature'], 'args' => $c['args']];
        }, $bus->calls()));
        $quiet = $bus->prepare('org.example.Calc', '/', 'org.example.Calc', 'Add', null, ['noReply' => true]);
        self::assertSame([], $quiet(1, 1));
        $missing = $bus->prepare('org.example.Calc', '/', null, 'Nope');
        self::assertSame('Nope', $missing->getName());
        try {
            $missing();
            self::fail('no exception');
        } catch (UnknownMethodException $e) {
            self::assertStringContainsString('Nope', $e->getMessage());
        }
        try {
            $bus->prepare('org.example.Calc', '/', null, 'Add', null, ['colour' => 'red']);
            self::fail('no exception');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString('colour', $e->getMessage());
        }
        $bus->close();
        $this->expectException(DisconnectedException::class);
        $bus->prepare('org.example.Calc', '/', null, 'Add');
    }

    public function testWhatIsNotScriptedFailsAsOnARealBus(): void
    {
        $bus = new FakeBus();
        $bus->on('org.example.App', '/', 'org.example.App', 'Known', []);
        $cases = [
            ServiceUnknownException::class => static function () use ($bus): void {
                $bus->call('org.example.Nobody', '/', null, 'Anything');
            },
            UnknownMethodException::class => static function () use ($bus): void {
                $bus->proxy('org.example.App', '/', 'org.example.App')->Unknown();
            },
            UnknownPropertyException::class => static function () use ($bus): void {
                $bus->getProperty('org.example.App', '/', 'org.example.App', 'Volume');
            },
            InvalidArgumentException::class => static function () use ($bus): void {
                $bus->call('org.example.App', '/', 'org.example.App', 'Known', [], null, ['timeot' => 1]);
            },
        ];
        foreach ($cases as $class => $call) {
            try {
                $call();
                self::fail("no $class");
            } catch (\Throwable $e) {
                self::assertSame($class, get_class($e), $e->getMessage());
            }
        }
    }

    public function testPropertiesAndIntrospection(): void
    {
        $bus = new FakeBus();
        $bus->setPropertyValue('org.example.Player', '/', 'org.example.Player', 'Volume', 0.5);
        $player = $bus->proxy('org.example.Player', '/', 'org.example.Player');
        self::assertSame(0.5, $player->Volume);
        $player->Volume = 0.75;
        self::assertSame(0.75, $bus->getProperty('org.example.Player', '/', 'org.example.Player', 'Volume'));
        self::assertSame(['Volume' => 0.75], $bus->getAllProperties('org.example.Player', '/', 'org.example.Player'));
        self::assertTrue(isset($player->Volume));
        self::assertFalse(isset($player->Missing));
        self::assertSame('Set', $bus->calls()[0]['method']);
        $bus->setIntrospection('org.example.Player', '/', ['interfaces' => []]);
        self::assertSame(['interfaces' => []], $bus->introspect('org.example.Player', '/'));
    }

    public function testAClosedFakeBusIsDisconnected(): void
    {
        $bus = new FakeBus();
        $bus->close();
        self::assertTrue($bus->isClosed());
        $this->expectException(DisconnectedException::class);
        $bus->call('org.example.App', '/', null, 'Known');
    }
}
