<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Codegen\Generator;
use SkypeBus\Tests\Support\PrivateBus;

/**
 * skypebus-codegen on the introspection XML of dbusmock's logind, NetworkManager and UPower
 * templates (tests/fixtures/introspection, taken from the running templates) and on the live
 * templates of the private bus: the generated classes parse on this PHP (php -l; PHP 7.4:
 * tests/php-wasm-check.sh generates from the same files) and their calls reach the templates.
 */
final class CodegenTest extends IntegrationTestCase
{
    private const TEMPLATES = [
        'logind' => ['org.freedesktop.login1', '/org/freedesktop/login1'],
        'networkmanager' => ['org.freedesktop.NetworkManager', '/org/freedesktop/NetworkManager'],
        'upower' => ['org.freedesktop.UPower', '/org/freedesktop/UPower'],
    ];

    /** @var string */
    private static $out;

    protected static function startPeers(PrivateBus $bus): void
    {
        foreach (self::TEMPLATES as $template => [$name]) {
            $bus->startTemplate($template, $name);
        }
        self::$out = $bus->directory() . '/generated';
    }

    /**
     * Runs bin/skypebus-codegen and returns the files it wrote.
     *
     * @param list<string> $arguments
     * @return list<string>
     */
    private static function codegen(array $arguments): array
    {
        $output = self::runOk(array_merge([PHP_BINARY, '-d', 'ffi.enable=1', dirname(__DIR__, 2) . '/bin/skypebus-codegen'], $arguments));
        $files = array_values(array_filter(explode("\n", $output)));
        foreach ($files as $file) {
            self::assertFileExists($file);
            exec(escapeshellarg(PHP_BINARY) . ' -l ' . escapeshellarg($file) . ' 2>&1', $lint, $status);
            self::assertSame(0, $status, implode("\n", $lint));
        }
        return $files;
    }

    public function testFromTheTemplatesXmlFiles(): void
    {
        $fixtures = dirname(__DIR__) . '/fixtures/introspection';
        $files = self::codegen(['--namespace', 'Gen\\Files', '--out', self::$out . '/files', "$fixtures/logind.xml", "$fixtures/networkmanager.xml", "$fixtures/upower.xml"]);
        $classes = array_map(static function (string $file): string {
            return basename($file, '.php');
        }, $files);
        sort($classes);
        self::assertSame(['OrgFreedesktopDBusMock', 'OrgFreedesktopLogin1Manager', 'OrgFreedesktopNetworkManager', 'OrgFreedesktopUPower'], $classes);
        $manager = (string) file_get_contents(self::$out . '/files/OrgFreedesktopLogin1Manager.php');
        self::assertStringContainsString('namespace Gen\\Files;', $manager);
        self::assertStringContainsString('public function CanSuspend(): string', $manager);
        self::assertStringContainsString('* D-Bus: GetSession(s arg1) -> o', $manager);
        self::assertStringContainsString('public function GetSession(string $arg1): string', $manager);
        self::assertStringContainsString('@property bool $IdleHint D-Bus "b", readwrite', $manager);
        self::assertStringContainsString("public const SIGNAL_METHOD_CALLED = 'MethodCalled';", (string) file_get_contents(self::$out . '/files/OrgFreedesktopDBusMock.php'));

        foreach ($files as $file) {
            require_once $file;
        }
        $logind = new \Gen\Files\OrgFreedesktopLogin1Manager($this->bus, 'org.freedesktop.login1', '/org/freedesktop/login1');
        self::assertSame('yes', $logind->CanSuspend());
        self::assertSame([], $logind->ListSessions());
        self::assertFalse($logind->IdleHint);
        self::assertTrue(isset($logind->IdleHint));
        $upower = new \Gen\Files\OrgFreedesktopUPower($this->bus, 'org.freedesktop.UPower', '/org/freedesktop/UPower');
        self::assertIsArray($upower->EnumerateDevices());
        self::assertIsString($upower->DaemonVersion);
        $nm = new \Gen\Files\OrgFreedesktopNetworkManager($this->bus, 'org.freedesktop.NetworkManager', '/org/freedesktop/NetworkManager');
        self::assertIsArray($nm->GetDevices());
        self::assertIsInt($nm->State);
        // A generated class over the in-memory FakeBus, for an application's unit tests.
        $fake = new \SkypeBus\Testing\FakeBus();
        $fake->on('org.freedesktop.login1', '/org/freedesktop/login1', 'org.freedesktop.login1.Manager', 'GetSession', ['/org/freedesktop/login1/session/c1']);
        $faked = new \Gen\Files\OrgFreedesktopLogin1Manager($fake, 'org.freedesktop.login1', '/org/freedesktop/login1');
        self::assertSame('/org/freedesktop/login1/session/c1', $faked->GetSession('c1'));
        self::assertSame(['c1'], $fake->calls()[0]['args']);
        self::assertSame('s', $fake->calls()[0]['signature']);
        // The typed parameters are PHP's own checks.
        $this->expectException(\TypeError::class);
        $logind->GetSession(5);
    }

    public function testFromTheLiveBus(): void
    {
        [$name, $path] = self::TEMPLATES['logind'];
        $files = self::codegen(['--bus', static::$private->address(), '--dest', $name, '--path', $path, '--namespace', 'Gen\\Live', '--out', self::$out . '/live']);
        self::assertContains(self::$out . '/live/OrgFreedesktopLogin1Manager.php', $files);
        require_once self::$out . '/live/OrgFreedesktopLogin1Manager.php';
        $logind = new \Gen\Live\OrgFreedesktopLogin1Manager($this->bus, $name, $path, ['timeout' => 5]);
        self::assertSame('yes', $logind->CanPowerOff());
        // What reached the template: dbusmock records every call.
        $calls = $this->bus->call($name, $path, 'org.freedesktop.DBus.Mock', 'GetCalls')[0];
        self::assertContains('CanPowerOff', array_column($calls, 1));
    }

    public function testUsage(): void
    {
        [$status, $output] = self::runCommand([PHP_BINARY, dirname(__DIR__, 2) . '/bin/skypebus-codegen', '--help']);
        self::assertSame(0, $status);
        self::assertStringStartsWith('Usage: skypebus-codegen', $output);
        foreach ([[], ['--bus', 'session'], ['--frobnicate'], ['--namespace', 'Not A Namespace', 'x.xml']] as $arguments) {
            [$status, $output] = self::runCommand(array_merge([PHP_BINARY, '-d', 'ffi.enable=1', dirname(__DIR__, 2) . '/bin/skypebus-codegen'], $arguments));
            self::assertNotSame(0, $status, implode(' ', $arguments));
            self::assertStringStartsWith('skypebus-codegen: ', $output);
        }
        [$status, $output] = self::runCommand([PHP_BINARY, '-d', 'ffi.enable=1', dirname(__DIR__, 2) . '/bin/skypebus-codegen', '/nonexistent.xml']);
        self::assertSame(1, $status);
        self::assertStringContainsString('cannot read /nonexistent.xml', $output);
    }

    public function testClassNamesAndTypes(): void
    {
        self::assertSame('OrgFreedesktopLogin1Manager', Generator::className('org.freedesktop.login1.Manager'));
        self::assertSame('NetSkypebusTestTyped', Generator::className('net.skypebus.Test.Typed'));
        self::assertSame(['int', 'int'], Generator::phpType('u'));
        self::assertSame([null, 'int|string'], Generator::phpType('t'));
        self::assertSame([null, '\\SkypeBus\\Type\\Fd|int'], Generator::phpType('h'));
        self::assertSame(['string', 'string'], Generator::phpType('ay'));
        self::assertSame(['array', 'array<int|string, mixed>'], Generator::phpType('a{sv}'));
        self::assertSame([null, 'mixed'], Generator::phpType('v'));
    }
}
