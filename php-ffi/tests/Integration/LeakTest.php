<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

/**
 * Memory stays flat: the RSS after 100k calls is within 1 MiB of the RSS after 1k calls, in a
 * child process (calls that succeed, calls that fail, connections opened and freed).
 */
final class LeakTest extends IntegrationTestCase
{
    public function testRssAfter100kCallsIsWithin1MiBOfRssAfter1kCalls(): void
    {
        $command = [PHP_BINARY, dirname(__DIR__) . '/Support/rss_after_calls.php', static::$private->address(), '100000'];
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['redirect', 1]], $pipes);
        $output = (string) stream_get_contents($pipes[1]);
        fclose($pipes[1]);
        self::assertSame(0, proc_close($process), $output);
        $result = json_decode($output, true);
        self::assertIsArray($result, $output);
        self::assertSame(100000, $result["calls"]);
        self::assertLessThanOrEqual(
            1024,
            $result['rss_end'] - $result['rss_1k'],
            sprintf('RSS grew from %d kB after 1k calls to %d kB after 100k calls', $result['rss_1k'], $result['rss_end'])
        );
    }
}
