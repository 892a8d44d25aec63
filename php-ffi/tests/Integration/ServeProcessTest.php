<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

/**
 * A PHP process serving and other PHP processes calling it: 10k calls without a leak, and a
 * worker that stops cleanly on SIGTERM in each way of waiting.
 */
final class ServeProcessTest extends IntegrationTestCase
{
    private const NAME = 'net.skypebus.Test.Worker';

    /**
     * Starts serve_worker.php and waits for its name.
     *
     * @return array{0: resource, 1: string} the process and its report file
     */
    private static function startWorker(string $mode): array
    {
        $report = static::$private->directory() . '/report-' . $mode . '.json';
        $process = static::$private->spawn([PHP_BINARY, dirname(__DIR__) . '/Support/serve_worker.php', static::$private->address(), self::NAME, $report, $mode]);
        static::$private->waitForName(self::NAME);
        return [$process, $report];
    }

    /**
     * Sends SIGTERM and returns how long the worker took to exit.
     *
     * @param resource $process
     */
    private static function stopWorker($process): float
    {
        $start = microtime(true);
        proc_terminate($process, 15);
        while (($status = proc_get_status($process))['running'] && microtime(true) - $start < 5) {
            usleep(5000);
        }
        $elapsed = microtime(true) - $start;
        self::assertFalse($status['running'], 'the worker did not stop within 5 s of SIGTERM');
        self::assertSame(0, $status['exitcode'], static::$private->logs());
        static::$private->kill($process);
        return $elapsed;
    }

    public function testTenThousandCallsFromAnotherPhpProcessWithoutLeak(): void
    {
        [$worker, $report] = self::startWorker('interrupt');
        $command = [PHP_BINARY, dirname(__DIR__) . '/Support/call_client.php', static::$private->address(), self::NAME, '10000'];
        $output = self::runOk($command);
        $client = json_decode($output, true);
        self::assertIsArray($client, $output);
        self::assertSame(10000, $client['calls']);
        self::assertSame(100, $client['failed']);
        self::assertLessThan(1.0, self::stopWorker($worker), 'serve(30.0) returns within a slice of SIGTERM');
        $result = json_decode((string) file_get_contents($report), true);
        self::assertIsArray($result, static::$private->logs());
        self::assertSame(10000, $result['served']);
        self::assertGreaterThan(0, $result['rss_1k']);
        self::assertLessThanOrEqual(
            1024,
            $result['rss_10k'] - $result['rss_1k'],
            sprintf('the worker\'s RSS grew from %d kB after 1k calls to %d kB after 10k', $result['rss_1k'], $result['rss_10k'])
        );
    }

    /**
     * @return array<string, array{0: string}>
     */
    public function modes(): array
    {
        return ['serve(0.5) loop, flag only' => ['flag'], 'serve(30.0), interrupt()' => ['interrupt'], 'signals() generator' => ['signals']];
    }

    /**
     * @dataProvider modes
     */
    public function testWorkerStopsWithinASecondOfSigterm(string $mode): void
    {
        [$worker, $report] = self::startWorker($mode);
        [$sum] = $this->bus->call(self::NAME, '/net/skypebus/Test/Worker', 'net.skypebus.Test.Worker', 'Add', [40, 2], 'ii');
        self::assertSame(42, $sum);
        usleep(200000);
        self::assertLessThan(1.0, self::stopWorker($worker));
        $result = json_decode((string) file_get_contents($report), true);
        self::assertSame(1, $result['served']);
        self::assertStringContainsString('stopped', static::$private->logs());
    }
}
