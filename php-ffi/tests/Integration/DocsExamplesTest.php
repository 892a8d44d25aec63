<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

/**
 * The examples of docs/php.md marked <!-- tested: NAME --> run as written, in a PHP process
 * whose session bus is the private bus.
 */
final class DocsExamplesTest extends IntegrationTestCase
{
    /** The example NAME of docs/php.md as a script that loads the package first. */
    private static function script(string $name): string
    {
        return self::docsExample('php.md', $name);
    }

    public function testCallManyExample(): void
    {
        $output = self::runOk([PHP_BINARY, self::script('callMany')]);
        self::assertMatchesRegularExpression('/^0 failed: org\.freedesktop\.DBus\.Error\.NameHasNoOwner\n1: \[\]\nid: \["[0-9a-f]{32}"\]\n$/', $output);
    }

    public function testServingExampleAnswersGdbusAndStopsOnSigterm(): void
    {
        $process = static::$private->spawn([PHP_BINARY, self::script('serving')]);
        static::$private->waitForName('org.example.Greeter');
        $call = ['gdbus', 'call', '--session', '-d', 'org.example.Greeter', '-o', '/org/example/Greeter', '-m'];
        self::assertSame("('Hello, Ann',)\n", self::runOk(array_merge($call, ['org.example.Greeter.Hello', 'Ann'])));
        self::assertSame("(uint32 42, {'uptime': <7>})\n", self::runOk(array_merge($call, ['org.example.Greeter.Stats'])));
        [$code, $output] = self::runCommand(array_merge($call, ['org.example.Greeter.Hello', "''"]));
        self::assertNotSame(0, $code);
        self::assertStringContainsString('GDBus.Error:org.example.Error.NoName: Say who you are', $output);
        self::assertSame("(<uint32 0>,)\n", self::runOk(array_merge($call, ['org.freedesktop.DBus.Properties.Get', 'org.example.Greeter', 'Greeted'])));
        $start = microtime(true);
        proc_terminate($process, 15);
        while (($status = proc_get_status($process))['running'] && microtime(true) - $start < 5) {
            usleep(5000);
        }
        self::assertFalse($status['running']);
        self::assertSame(0, $status['exitcode'], static::$private->logs());
        self::assertLessThan(1.0, microtime(true) - $start);
        static::$private->kill($process);
    }

    public function testSignalsExample(): void
    {
        $process = static::$private->spawn([PHP_BINARY, self::script('signals')]);
        usleep(500000);
        static::$private->startMock('org.example.Appeared', '/', 'org.example.Appeared');
        $deadline = microtime(true) + 5;
        while (strpos(static::$private->logs(), "org.example.Appeared: '' -> ':") === false && microtime(true) < $deadline) {
            usleep(20000);
        }
        static::$private->kill($process);
        self::assertMatchesRegularExpression("/org\\.example\\.Appeared: '' -> ':\\d+\\.\\d+'\n/", static::$private->logs());
    }
}
