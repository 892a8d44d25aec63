<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Bus;
use SkypeBus\Tests\Support\PrivateBus;

/**
 * The optional PSR-3 logger (Debian's php-psr-log; the package does not require it) and the
 * library's SKYPEBUS_TRACE switch: every message in and out, one busctl-like line each.
 */
final class TraceTest extends IntegrationTestCase
{
    private const TYPED = 'net.skypebus.Test.Typed';
    private const TYPED_PATH = '/net/skypebus/Test/Typed';

    protected static function startPeers(PrivateBus $bus): void
    {
        $bus->startService('typed_service.py', self::TYPED);
    }

    public function testALoggerHearsCallsRepliesErrorsAndSignals(): void
    {
        if (!is_file('/usr/share/php/Psr/Log/autoload.php')) {
            self::markTestSkipped('php-psr-log is not installed (make deps installs it)');
        }
        require_once '/usr/share/php/Psr/Log/autoload.php';
        $logger = new class () extends \Psr\Log\AbstractLogger {
            /** @var list<array{0: string, 1: string}> */
            public $lines = [];

            /**
             * @param mixed $level
             * @param string|\Stringable $message
             * @param array<string, mixed> $context
             */
            public function log($level, $message, array $context = []): void
            {
                $this->lines[] = [(string) $level, (string) $message];
            }
        };
        $bus = Bus::connectPrivate(static::$private->address());
        $bus->setLogger($logger);
        self::assertSame([5], $bus->call(self::TYPED, self::TYPED_PATH, self::TYPED, 'Sum', [2, 3], 'uu'));
        try {
            $bus->call(self::TYPED, self::TYPED_PATH, self::TYPED, 'Fail', ['com.example.Error.Traced', 'traced']);
        } catch (\SkypeBus\Exception\DBusException $e) {
        }
        $bus->getProperty(self::TYPED, self::TYPED_PATH, self::TYPED, 'Count');
        $bus->subscribe(['interface' => 'net.skypebus.Test.Trace']);
        $bus->emit('/net/skypebus/Test/Trace', 'net.skypebus.Test.Trace', 'Ping', ['hi'], 's');
        self::assertNotNull($bus->nextSignal(5.0));
        $bus->setLogger(null);
        $bus->call(self::TYPED, self::TYPED_PATH, self::TYPED, 'Touch');
        $bus->close();

        $text = implode("\n", array_map(static function (array $line): string {
            return $line[0] . ' ' . $line[1];
        }, $logger->lines));
        self::assertStringContainsString('debug -> call net.skypebus.Test.Typed /net/skypebus/Test/Typed net.skypebus.Test.Typed.Sum "uu" [2,3]', $text);
        self::assertMatchesRegularExpression('/debug <- return net\.skypebus\.Test\.Typed\.Sum \[5\] \(\d+\.\d ms\)/', $text);
        self::assertStringContainsString('info <- error net.skypebus.Test.Typed.Fail com.example.Error.Traced: traced', $text);
        self::assertStringContainsString('-> call net.skypebus.Test.Typed /net/skypebus/Test/Typed org.freedesktop.DBus.Properties.Get ["net.skypebus.Test.Typed","Count"]', $text);
        self::assertStringContainsString('debug -> signal /net/skypebus/Test/Trace net.skypebus.Test.Trace.Ping "s" ["hi"]', $text);
        self::assertMatchesRegularExpression('~debug <- signal :1\.\d+ /net/skypebus/Test/Trace net\.skypebus\.Test\.Trace\.Ping "s" \["hi"\]~', $text);
        self::assertStringNotContainsString('Touch', $text, 'nothing after setLogger(null)');
    }

    /**
     * SKYPEBUS_TRACE is the library's: PHP's calls appear as the library's wire-level lines
     * (the same as a C program's), once each; PHP writes no line of its own for it.
     */
    public function testTheEnvironmentSwitchIsTheLibrarysTraceOfEveryMessage(): void
    {
        $file = static::$private->directory() . '/trace.log';
        $script = 'require ' . var_export(dirname(__DIR__) . '/bootstrap.php', true) . ';'
            . '$bus = SkypeBus\Bus::connect(getenv("DBUS_SESSION_BUS_ADDRESS"));'
            . '$bus->proxy("net.skypebus.Test.Typed", "/net/skypebus/Test/Typed", "net.skypebus.Test.Typed")->Sum(20, 22);'
            . 'try { $bus->call("net.skypebus.Test.Typed", "/net/skypebus/Test/Typed", "net.skypebus.Test.Typed", "Fail", ["com.example.Error.Traced", "traced"]); }'
            . ' catch (SkypeBus\Exception\DBusException $e) { }'
            . '$bus->setLogger(new class { public function log($level, $message, array $context = []): void { echo "logger: $message\n"; } });'
            . '$bus->call("net.skypebus.Test.Typed", "/net/skypebus/Test/Typed", "net.skypebus.Test.Typed", "Sum", [1, 2], "uu");';
        $p = 'skypebus\[\d+\] ';
        foreach (['1' => null, $file => $file] as $value => $target) {
            [$status, $output] = self::runCommand(['env', 'SKYPEBUS_TRACE=' . $value, PHP_BINARY, '-d', 'ffi.enable=1', '-r', $script]);
            self::assertSame(0, $status, $output);
            $trace = $target === null ? $output : (string) file_get_contents($target);
            self::assertMatchesRegularExpression(
                "~^{$p}-> method_call cookie=(\d+) sender=(:1\.\d+) destination=net\.skypebus\.Test\.Typed path=/net/skypebus/Test/Typed "
                . 'interface=net\.skypebus\.Test\.Typed member=Sum signature=uu \[20,22\]$~m',
                $trace
            );
            preg_match('~-> method_call cookie=(\d+) sender=(:1\.\d+) [^\n]*member=Sum signature=uu \[20,22\]~', $trace, $call);
            self::assertMatchesRegularExpression("~^{$p}<- method_return cookie=\d+ reply_cookie={$call[1]} sender=:1\.\d+ destination={$call[2]} signature=u \[42\]$~m", $trace);
            self::assertMatchesRegularExpression(
                "~^{$p}<- error cookie=\d+ reply_cookie=\d+ sender=:1\.\d+ destination={$call[2]} error_name=com\.example\.Error\.Traced signature=s \[\"traced\"\]$~m",
                $trace
            );
            self::assertSame(1, preg_match_all('~member=Sum signature=uu \[20,22\]~', $trace), 'one line per message, not doubled');
            self::assertStringNotContainsString('skypebus -> call', $trace, 'PHP writes no line of its own for SKYPEBUS_TRACE');
            // The logger still hears PHP's value-level lines, and the wire-level lines go on.
            self::assertStringContainsString('logger: -> call net.skypebus.Test.Typed /net/skypebus/Test/Typed net.skypebus.Test.Typed.Sum "uu" [1,2]', $output);
            self::assertMatchesRegularExpression("~^{$p}-> method_call [^\n]* member=Sum signature=uu \[1,2\]$~m", $trace);
        }
        [$status, $output] = self::runCommand(['env', 'SKYPEBUS_TRACE=0', PHP_BINARY, '-d', 'ffi.enable=1', '-r', $script]);
        self::assertSame(0, $status, $output);
        self::assertStringNotContainsString('method_call', $output);
        [$status, $output] = self::runCommand(['env', 'SKYPEBUS_TRACE=/nonexistent/dir/trace.log', PHP_BINARY, '-d', 'ffi.enable=1', '-r', $script]);
        self::assertNotSame(0, $status);
        self::assertStringContainsString('SkypeBus\Exception\InvalidArgumentException', $output);
        self::assertStringContainsString('SKYPEBUS_TRACE=/nonexistent/dir/trace.log: the trace file cannot be opened for appending', $output);
    }
}
