<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use PHPUnit\Framework\TestCase;
use SkypeBus\Bus;
use SkypeBus\Tests\Support\PrivateBus;

/**
 * Base of the tests that use libskypebus through FFI: one private dbus-daemon per test class
 * (with the peers the class starts in startPeers()), one connection of ours per test.
 */
abstract class IntegrationTestCase extends TestCase
{
    /** @var PrivateBus|null */
    protected static $private;

    /** @var Bus */
    protected $bus;

    public static function setUpBeforeClass(): void
    {
        static::$private = PrivateBus::start(static::transport());
        static::startPeers(static::$private);
    }

    public static function tearDownAfterClass(): void
    {
        if (static::$private !== null) {
            static::$private->stop();
            static::$private = null;
        }
    }

    /**
     * How the package's connections reach the private bus: 'unix', or 'tcp' in the *TcpTest
     * classes, which run a suite again over tcp (zbus' socket in the library).
     */
    protected static function transport(): string
    {
        return 'unix';
    }

    /** Starts the peers the tests of the class talk to. */
    protected static function startPeers(PrivateBus $bus): void
    {
    }

    protected function setUp(): void
    {
        $this->bus = static::$private->connect();
    }

    protected function tearDown(): void
    {
        $this->bus->close();
    }

    /**
     * The example marked <!-- tested: NAME --> in docs/$doc, as a script in the bus directory
     * that loads the package first, to run in a PHP process whose session bus is the private bus.
     */
    protected static function docsExample(string $doc, string $name): string
    {
        $docs = (string) file_get_contents(dirname(__DIR__, 3) . '/docs/' . $doc);
        $marker = "<!-- tested: $name -->\n```php\n";
        $start = strpos($docs, $marker);
        self::assertNotFalse($start, "no example $name in docs/$doc");
        $start += strlen($marker);
        $code = substr($docs, $start, strpos($docs, "\n```\n", $start) - $start);
        $file = static::$private->directory() . "/example-$name.php";
        file_put_contents($file, "<?php\nrequire " . var_export(dirname(__DIR__) . '/bootstrap.php', true) . ";\n" . $code . "\n");
        return $file;
    }

    /**
     * Runs a command on the private bus (its session bus) and returns its exit code and output
     * (stdout and stderr). While it runs, $serving answers calls (serve() in short slices), or
     * nothing of ours runs when $serving is null: the library alone answers then.
     *
     * @param list<string> $command
     * @return array{0: int, 1: string}
     */
    protected static function runCommand(array $command, ?Bus $serving = null, float $timeout = 20.0): array
    {
        $process = proc_open(
            $command,
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['redirect', 1]],
            $pipes,
            null,
            static::$private->environment()
        );
        self::assertIsResource($process, 'cannot start ' . implode(' ', $command));
        stream_set_blocking($pipes[1], false);
        $output = '';
        $deadline = microtime(true) + $timeout;
        while (($status = proc_get_status($process))['running']) {
            if (microtime(true) > $deadline) {
                proc_terminate($process, 9);
                $output .= (string) stream_get_contents($pipes[1]);
                fclose($pipes[1]);
                proc_close($process);
                self::fail(sprintf('%s did not finish in %.0f s; output: %s', implode(' ', $command), $timeout, $output));
            }
            $output .= (string) stream_get_contents($pipes[1]);
            if ($serving !== null) {
                $serving->serve(0.01);
            } else {
                usleep(5000);
            }
        }
        $output .= (string) stream_get_contents($pipes[1]);
        fclose($pipes[1]);
        proc_close($process);
        return [(int) $status['exitcode'], $output];
    }

    /**
     * Runs a command that must succeed, and returns its output.
     *
     * @param list<string> $command
     */
    protected static function runOk(array $command, ?Bus $serving = null): string
    {
        [$code, $output] = self::runCommand($command, $serving);
        self::assertSame(0, $code, implode(' ', $command) . ' failed: ' . $output);
        return $output;
    }

    /**
     * A call to the bus driver.
     *
     * @param list<mixed> $args
     * @return list<mixed>
     */
    protected function driver(string $method, array $args = [], ?string $signature = null): array
    {
        return $this->bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', $method, $args, $signature);
    }
}
