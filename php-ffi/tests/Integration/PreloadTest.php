<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

/**
 * The package under ffi.enable=preload (PHP's default) with the library preloaded:
 *  - ffi.preload=<header> as root (the header from bin/skypebus-ffi-header), in the CLI and in
 *    a server SAPI with opcache.preload for the classes and opcache.preload_user;
 *  - opcache.preload=preload.php run as an unprivileged user (nobody), in the CLI and in a
 *    server SAPI.
 * The server SAPI is PHP's built-in server ("cli-server"): like php-fpm, it is not "cli", so
 * ffi.enable=preload allows FFI only to preloaded code there. Each case checks that the library
 * came from the preloaded scope and that a call works.
 */
final class PreloadTest extends IntegrationTestCase
{
    /** @var string */
    private $dir;

    protected function setUp(): void
    {
        parent::setUp();
        $this->dir = static::$private->directory() . '/preload-' . bin2hex(random_bytes(3));
        mkdir($this->dir, 0755);
        chmod($this->dir, 0755);
        file_put_contents($this->dir . '/app.php', <<<'PHP'
<?php
declare(strict_types=1);
if (!class_exists(SkypeBus\Bus::class)) {
    require getenv('SKYPEBUS_TEST_BOOTSTRAP');
}
$bus = SkypeBus\Bus::connect(getenv('SKYPEBUS_TEST_ADDRESS'));
$dbus = $bus->proxy('org.freedesktop.DBus', '/org/freedesktop/DBus');
try {
    FFI::cdef('int abs(int);');
    $direct = 'allowed';
} catch (Throwable $e) {
    $direct = 'refused';
}
echo json_encode([
    'sapi' => PHP_SAPI,
    'user' => function_exists('posix_geteuid') ? posix_geteuid() : -1,
    'origin' => SkypeBus\Library::origin(),
    'owner' => $dbus->GetNameOwner('org.freedesktop.DBus'),
    'id' => $bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId')[0],
    'direct_cdef' => $direct,
]), "\n";
PHP
        );
        chmod($this->dir . '/app.php', 0644);
    }

    /**
     * @return array<string, string>
     */
    private function environment(): array
    {
        $environment = getenv();
        unset($environment['SKYPEBUS_LIBRARY']);
        $environment['SKYPEBUS_TEST_ADDRESS'] = static::$private->address();
        $environment['SKYPEBUS_TEST_BOOTSTRAP'] = dirname(__DIR__) . '/bootstrap.php';
        return $environment;
    }

    /**
     * The header for ffi.preload, as an administrator makes it.
     */
    private function header(): string
    {
        $file = $this->dir . '/skypebus.h';
        $command = [PHP_BINARY, dirname(__DIR__, 2) . '/bin/skypebus-ffi-header'];
        $process = proc_open($command, [1 => ['file', $file, 'w'], 2 => ['pipe', 'w']], $pipes);
        $errors = stream_get_contents($pipes[2]);
        fclose($pipes[2]);
        self::assertSame(0, proc_close($process), (string) $errors);
        $header = (string) file_get_contents($file);
        self::assertStringContainsString('#define FFI_SCOPE "SKYPEBUS"', $header);
        self::assertMatchesRegularExpression('~#define FFI_LIB "/[^"]+/libskypebus\.so"~', $header);
        chmod($file, 0644);
        return $file;
    }

    /**
     * @param list<string> $command
     * @return array<string, mixed>
     */
    private function runPhp(array $command): array
    {
        $process = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $this->dir, $this->environment());
        $output = (string) stream_get_contents($pipes[1]);
        $errors = (string) stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        $status = proc_close($process);
        self::assertSame(0, $status, $output . $errors);
        $result = json_decode($output, true);
        self::assertIsArray($result, $output . $errors);
        return $result;
    }

    /**
     * Starts PHP's built-in server with $command's options, requests app.php, stops the server.
     *
     * @param list<string> $command
     * @return array<string, mixed>
     */
    private function serve(array $command): array
    {
        $probe = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int) substr((string) strrchr((string) stream_socket_get_name($probe, false), ':'), 1);
        fclose($probe);
        $log = $this->dir . '/server.log';
        $command = array_merge($command, ['-S', '127.0.0.1:' . $port, '-t', $this->dir]);
        $server = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'w'], 2 => ['file', $log, 'a']], $pipes, $this->dir, $this->environment());
        try {
            $deadline = microtime(true) + 20;
            do {
                usleep(50000);
                $socket = @fsockopen('127.0.0.1', $port);
            } while ($socket === false && proc_get_status($server)['running'] && microtime(true) < $deadline);
            self::assertNotFalse($socket, 'the server did not start: ' . file_get_contents($log));
            fclose($socket);
            $output = (string) @file_get_contents('http://127.0.0.1:' . $port . '/app.php');
        } finally {
            proc_terminate($server, 15);
            proc_close($server);
        }
        $result = json_decode($output, true);
        self::assertIsArray($result, $output . "\n" . file_get_contents($log));
        return $result;
    }

    /**
     * @param array<string, mixed> $result
     */
    private function assertUsedTheScope(array $result, string $sapi, int $user): void
    {
        self::assertSame($sapi, $result['sapi']);
        self::assertSame($user, $result['user']);
        self::assertSame('FFI scope SKYPEBUS', $result['origin']);
        self::assertSame('org.freedesktop.DBus', $result['owner']);
        self::assertSame($this->driver('GetId')[0], $result['id']);
        self::assertSame($sapi === 'cli' ? 'allowed' : 'refused', $result['direct_cdef'], 'ffi.enable=preload is in force');
    }

    /**
     * @return list<string>
     */
    private static function asNobody(): array
    {
        return ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];
    }

    private static function preloadScript(): string
    {
        return dirname(__DIR__, 2) . '/preload.php';
    }

    public function testFfiPreloadInTheCli(): void
    {
        $result = $this->runPhp([PHP_BINARY, '-d', 'ffi.enable=preload', '-d', 'ffi.preload=' . $this->header(), $this->dir . '/app.php']);
        $this->assertUsedTheScope($result, 'cli', 0);
    }

    public function testFfiPreloadAsRootWithOpcachePreloadUserInAServer(): void
    {
        if (posix_geteuid() !== 0) {
            self::markTestSkipped('needs root (opcache.preload_user)');
        }
        $result = $this->serve([
            PHP_BINARY,
            '-d', 'ffi.enable=preload',
            '-d', 'ffi.preload=' . $this->header(),
            '-d', 'opcache.enable=1',
            '-d', 'opcache.enable_cli=1',
            '-d', 'opcache.preload=' . self::preloadScript(),
            '-d', 'opcache.preload_user=nobody',
        ]);
        $this->assertUsedTheScope($result, 'cli-server', 0);
    }

    public function testOpcachePreloadAsAnUnprivilegedUserInAServer(): void
    {
        if (posix_geteuid() !== 0) {
            self::markTestSkipped('needs root to switch to nobody');
        }
        $result = $this->serve(array_merge(self::asNobody(), [
            PHP_BINARY,
            '-d', 'ffi.enable=preload',
            '-d', 'opcache.enable=1',
            '-d', 'opcache.enable_cli=1',
            '-d', 'opcache.preload=' . self::preloadScript(),
        ]));
        $this->assertUsedTheScope($result, 'cli-server', 65534);
    }

    public function testOpcachePreloadAsAnUnprivilegedUserInTheCli(): void
    {
        if (posix_geteuid() !== 0) {
            self::markTestSkipped('needs root to switch to nobody');
        }
        $result = $this->runPhp(array_merge(self::asNobody(), [
            PHP_BINARY,
            '-d', 'ffi.enable=preload',
            '-d', 'opcache.enable_cli=1',
            '-d', 'opcache.preload=' . self::preloadScript(),
            $this->dir . '/app.php',
        ]));
        $this->assertUsedTheScope($result, 'cli', 65534);
    }

    public function testWithoutPreloadingAServerSaysWhatToSet(): void
    {
        file_put_contents($this->dir . '/app.php', <<<'PHP'
<?php
require getenv('SKYPEBUS_TEST_BOOTSTRAP');
try {
    SkypeBus\Bus::connect(getenv('SKYPEBUS_TEST_ADDRESS'));
    echo json_encode(['error' => null]);
} catch (SkypeBus\Exception\FFIUnavailableException $e) {
    echo json_encode(['error' => $e->getMessage()]);
}
PHP
        );
        $result = $this->serve([PHP_BINARY, '-d', 'ffi.enable=preload']);
        self::assertIsString($result['error']);
        self::assertStringContainsString('ffi.enable=preload', $result['error']);
        self::assertStringContainsString('opcache.preload=', $result['error']);
        self::assertStringContainsString('ffi.preload=', $result['error']);
    }
}
