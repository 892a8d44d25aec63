<?php

/*
 * A PHP worker that owns a name and serves an object until SIGTERM, for the tests and the bench.
 * Usage: serve_worker.php ADDRESS NAME REPORT_FILE MODE
 *   MODE flag:      while (!$stop) $bus->serve(0.5);          the SIGTERM handler sets $stop
 *   MODE interrupt: while (!$stop) $bus->serve(30.0);         the handler also calls interrupt()
 *   MODE signals:   foreach ($bus->signals() as $signal) ...   the handler calls interrupt()
 * Object /net/skypebus/Test/Worker, interface net.skypebus.Test.Worker: Add(i, i) -> i,
 * Echo(s) -> s, Fail() (a DBusException). At exit writes to REPORT_FILE
 * {"served", "rss_1k", "rss_10k" (kB after 1,000 and 10,000 calls; 0 if not reached),
 *  "first", "last" (microtime of the first and last call), "signals"} and prints "stopped".
 */

declare(strict_types=1);

require __DIR__ . '/../bootstrap.php';

use SkypeBus\Bus;
use SkypeBus\Exception\DBusException;

[, $address, $name, $report, $mode] = $argv;

final class Worker
{
    /** @var int */
    public $served = 0;

    /** @var array<int, int> */
    public $rss = [];

    /** @var float */
    public $first = 0.0;

    /** @var float */
    public $last = 0.0;

    public function Add(int $a, int $b): int
    {
        $this->count();
        return $a + $b;
    }

    public function Echo(string $text): string
    {
        $this->count();
        return $text;
    }

    public function Fail(): void
    {
        $this->count();
        throw new DBusException('net.skypebus.Test.Error.Refused', 'refused on purpose');
    }

    private function count(): void
    {
        $now = microtime(true);
        if ($this->served === 0) {
            $this->first = $now;
        }
        $this->last = $now;
        $this->served++;
        if ($this->served === 1000 || $this->served === 10000) {
            gc_collect_cycles();
            preg_match('/^VmRSS:\s+(\d+) kB/m', (string) file_get_contents('/proc/self/status'), $m);
            $this->rss[$this->served] = (int) $m[1];
        }
    }
}

$xml = <<<'XML'
<node>
  <interface name="net.skypebus.Test.Worker">
    <method name="Add"><arg type="i"/><arg type="i"/><arg type="i" direction="out"/></method>
    <method name="Echo"><arg type="s"/><arg type="s" direction="out"/></method>
    <method name="Fail"/>
  </interface>
</node>
XML;

$bus = Bus::connect($address);
$worker = new Worker();
$bus->export('/net/skypebus/Test/Worker', $worker, $xml);
$stop = false;
pcntl_signal(SIGTERM, static function () use (&$stop, $bus, $mode): void {
    $stop = true;
    if ($mode !== 'flag') {
        $bus->interrupt();
    }
});
$signals = 0;
if ($mode === 'signals') {
    $bus->subscribe(['interface' => 'net.skypebus.Test.Worker']);
}
if ($bus->requestName($name, Bus::NAME_DO_NOT_QUEUE) !== Bus::NAME_PRIMARY_OWNER) {
    fwrite(STDERR, "cannot own $name\n");
    exit(2);
}
switch ($mode) {
    case 'flag':
        while (!$stop) {
            $bus->serve(0.5);
        }
        break;
    case 'interrupt':
        while (!$stop) {
            $bus->serve(30.0);
        }
        break;
    case 'signals':
        foreach ($bus->signals() as $signal) {
            $signals++;
        }
        break;
    default:
        fwrite(STDERR, "unknown mode $mode\n");
        exit(2);
}
file_put_contents($report, json_encode([
    'served' => $worker->served,
    'rss_1k' => $worker->rss[1000] ?? 0,
    'rss_10k' => $worker->rss[10000] ?? 0,
    'first' => $worker->first,
    'last' => $worker->last,
    'signals' => $signals,
]));
echo "stopped\n";
