<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Bus;
use SkypeBus\EventLoop\AmpLoop;
use SkypeBus\EventLoop\BusWatcher;
use SkypeBus\EventLoop\LoopInterface;
use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\PendingCall;
use SkypeBus\Signal;
use SkypeBus\Tests\Support\PrivateBus;
use SkypeBus\Tests\Support\ServedObject;

/**
 * Asynchronous calls and event loops: one loop serves calls from gdbus, receives signals from
 * dbus-send and completes 100 asynchronous calls to a GDBus peer while a slow peer takes 2 s,
 * on stream_select() and on Amp 2's loop; the event stream is readable for each kind of event
 * and not otherwise, and an idle loop spends no CPU.
 */
final class AsyncTest extends IntegrationTestCase
{
    private const TYPED = 'net.skypebus.Test.Typed';
    private const TYPED_PATH = '/net/skypebus/Test/Typed';
    private const SLOW = 'net.skypebus.Test.Slow';

    protected static function startPeers(PrivateBus $bus): void
    {
        $bus->startService('typed_service.py', self::TYPED);
        $bus->startService('slow_service.py', self::SLOW, [self::SLOW, '2000']);
    }

    private function sum(Bus $bus, int $i): PendingCall
    {
        return $bus->callAsync(self::TYPED, self::TYPED_PATH, self::TYPED, 'Sum', [$i, 1], 'uu');
    }

    private function slow(Bus $bus): PendingCall
    {
        return $bus->callAsync(self::SLOW, '/slow', 'net.skypebus.Test.Slow', 'Echo', [7], 'u');
    }

    /**
     * The clients of the scenario, started at once: 3 gdbus calls to our object and 3 signals
     * sent with dbus-send. Returns the processes with their stdout pipes.
     *
     * @return list<array{0: resource, 1: resource, 2: string}>
     */
    private function startClients(Bus $bus): array
    {
        $clients = [];
        for ($i = 0; $i < 3; $i++) {
            $clients[] = $this->client(['gdbus', 'call', '--session', '--dest', $bus->getUniqueName(),
                '--object-path', ServedObject::PATH, '--method', ServedObject::INTERFACE . '.Add', (string) $i, '10']);
            $clients[] = $this->client(['dbus-send', '--session', '--type=signal', '/net/skypebus/Test/Sig',
                'net.skypebus.Test.Sig.Ping', 'string:s' . $i]);
        }
        return $clients;
    }

    /**
     * @param list<string> $command
     * @return array{0: resource, 1: resource, 2: string}
     */
    private function client(array $command): array
    {
        $process = proc_open(
            $command,
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['redirect', 1]],
            $pipes,
            null,
            static::$private->environment()
        );
        self::assertIsResource($process);
        stream_set_blocking($pipes[1], false);
        return [$process, $pipes[1], implode(' ', $command)];
    }

    private function prepare(Bus $bus): ServedObject
    {
        $served = new ServedObject();
        $bus->export(ServedObject::PATH, $served, ServedObject::xml());
        $bus->subscribe(['interface' => 'net.skypebus.Test.Sig']);
        return $served;
    }

    public function testOneStreamSelectLoopServesReceivesAndCompletesWhileASlowPeerSleeps(): void
    {
        $bus = $this->bus;
        $this->prepare($bus);
        $stream = $bus->eventStream();
        $started = microtime(true);
        $slow = $this->slow($bus);
        $calls = [];
        for ($i = 0; $i < 100; $i++) {
            $calls[$i] = $this->sum($bus, $i);
        }
        self::assertLessThan(1.0, microtime(true) - $started, 'starting 101 calls must not wait for them');
        $clients = $this->startClients($bus);
        $outputs = [];
        $signals = [];
        $done = 0;
        foreach ($calls as $call) {
            $call->onResolve(static function (?\Throwable $e) use (&$done): void {
                $done += $e === null ? 1 : 0;
            });
        }
        while (($done < 100 || count($signals) < 3 || count($outputs) < 3) && microtime(true) - $started < 20) {
            $read = [$stream];
            foreach ($clients as [, $pipe]) {
                if (is_resource($pipe)) {
                    $read[] = $pipe;
                }
            }
            $none = null;
            stream_select($read, $none, $none, 1);
            $bus->process();
            while (($signal = $bus->nextSignal(0.0)) !== null) {
                $signals[] = $signal->getArg(0);
            }
            foreach ($clients as $k => [$process, $pipe, $command]) {
                if (is_resource($pipe) && in_array($pipe, $read, true)) {
                    $chunk = (string) fread($pipe, 4096);
                    $outputs[$k] = ($outputs[$k] ?? '') . $chunk;
                    if (feof($pipe)) {
                        fclose($pipe);
                        proc_close($process);
                        if (trim($outputs[$k]) === '') {
                            unset($outputs[$k]);
                        }
                    }
                }
            }
        }
        $elapsed = microtime(true) - $started;
        self::assertSame(100, $done, 'every asynchronous call finished');
        sort($signals);
        self::assertSame(['s0', 's1', 's2'], $signals);
        ksort($outputs);
        self::assertSame(['(10,)', '(11,)', '(12,)'], array_values(array_map('trim', $outputs)));
        self::assertLessThan(1.9, $elapsed, 'nothing waited for the slow peer');
        self::assertFalse($slow->isReady(), 'the slow call cannot have finished yet');
        foreach ($calls as $i => $call) {
            self::assertSame([$i + 1], $call->getResult());
        }
        // The slow call finishes on its own, through the same stream.
        $read = [$stream];
        $none = null;
        self::assertSame(1, stream_select($read, $none, $none, 10));
        $bus->process();
        self::assertTrue($slow->isReady());
        self::assertSame([7], $slow->getResult());
        self::assertGreaterThanOrEqual(1.9, microtime(true) - $started);
        fclose($stream);
    }

    public function testTheSameScenarioOnAmp2(): void
    {
        if (!self::amp()) {
            self::fail('Amp 2 is missing: apt-get install php-amphp-amp (scripts/install-deps.sh)');
        }
        $bus = $this->bus;
        $this->prepare($bus);
        $signals = [];
        $watcher = BusWatcher::attach($bus, new AmpLoop(), static function (Signal $s) use (&$signals): void {
            $signals[] = $s->getArg(0);
        });
        $outputs = [];
        $results = [];
        $slowResult = null;
        $started = microtime(true);
        $finishedAt = null;
        \Amp\Loop::run(function () use ($bus, $watcher, &$outputs, &$results, &$signals, &$slowResult, &$finishedAt, $started) {
            $slow = AmpLoop::promise($this->slow($bus));
            $slow->onResolve(static function (?\Throwable $e, $values) use (&$slowResult): void {
                $slowResult = $e ?? $values;
            });
            $promises = [];
            for ($i = 0; $i < 100; $i++) {
                $promises[] = AmpLoop::promise($this->sum($bus, $i));
            }
            foreach ($this->startClients($bus) as $k => [$process, $pipe]) {
                \Amp\Loop::onReadable($pipe, static function (string $id, $pipe) use ($k, $process, &$outputs): void {
                    $outputs[$k] = ($outputs[$k] ?? '') . (string) fread($pipe, 4096);
                    if (feof($pipe)) {
                        \Amp\Loop::cancel($id);
                        fclose($pipe);
                        proc_close($process);
                        if (trim($outputs[$k]) === '') {
                            unset($outputs[$k]);
                        }
                    }
                });
            }
            // A coroutine: yield the calls' promises like any Amp promise.
            $results = yield \Amp\Promise\all($promises);
            while (count($signals) < 3 || count($outputs) < 3) {
                yield new \Amp\Delayed(10);
                if (microtime(true) - $started > 20) {
                    break;
                }
            }
            $finishedAt = microtime(true) - $started;
            self::assertNull($slowResult, 'the slow call cannot have finished yet');
            self::assertSame([7], yield $slow);
            $watcher->detach();
        });
        self::assertNotNull($finishedAt);
        self::assertLessThan(1.9, $finishedAt, 'nothing waited for the slow peer');
        self::assertCount(100, $results);
        foreach ($results as $i => $values) {
            self::assertSame([$i + 1], $values);
        }
        sort($signals);
        self::assertSame(['s0', 's1', 's2'], $signals);
        ksort($outputs);
        self::assertSame(['(10,)', '(11,)', '(12,)'], array_values(array_map('trim', $outputs)));
        self::assertSame([7], $slowResult);
        self::assertFalse($watcher->isAttached());
    }

    public function testTheStreamIsReadableExactlyWhileSomethingWaitsAndIdleCostsNoCpu(): void
    {
        $bus = $this->bus;
        $this->prepare($bus);
        $stream = $bus->eventStream();
        $readable = static function (float $seconds) use ($stream): bool {
            $read = [$stream];
            $none = null;
            return stream_select($read, $none, $none, (int) $seconds, (int) (fmod($seconds, 1.0) * 1e6)) === 1;
        };
        self::assertFalse($readable(0.0));
        // A finished call: readable until taken.
        $call = $this->sum($bus, 1);
        self::assertTrue($readable(5.0));
        self::assertTrue($readable(0.0), 'level-triggered: still readable');
        $bus->process();
        self::assertTrue($call->isReady());
        self::assertFalse($readable(0.0));
        // A signal.
        [$process] = $this->client(['dbus-send', '--session', '--type=signal', '/s', 'net.skypebus.Test.Sig.Ping', 'string:x']);
        self::assertTrue($readable(5.0));
        $bus->process();
        self::assertFalse($readable(0.0));
        self::assertSame(['x'], $bus->nextSignal(0.0)->getArgs());
        proc_close($process);
        // A call to serve, answered by process().
        $client = $this->client(['gdbus', 'call', '--session', '--dest', $bus->getUniqueName(),
            '--object-path', ServedObject::PATH, '--method', ServedObject::INTERFACE . '.Add', '1', '2']);
        self::assertTrue($readable(5.0));
        self::assertSame(1, $bus->process());
        self::assertFalse($readable(0.0));
        stream_set_blocking($client[1], true);
        self::assertSame('(3,)', trim((string) stream_get_contents($client[1])));
        proc_close($client[0]);
        // A name event (a queued name acquired later).
        $other = static::$private->connectPrivate();
        $other->requestName('net.skypebus.Test.Later');
        $bus->requestName('net.skypebus.Test.Later', Bus::NAME_QUEUE);
        $other->close();
        self::assertTrue($readable(5.0));
        $bus->process();
        self::assertFalse($readable(0.0));
        self::assertContains('net.skypebus.Test.Later', $bus->ownedNames());
        // Idle: nothing ready, and waiting on the stream costs (almost) no CPU.
        $before = getrusage();
        self::assertFalse($readable(2.0));
        $after = getrusage();
        $cpu = static function (array $u): float {
            return $u['ru_utime.tv_sec'] + $u['ru_utime.tv_usec'] / 1e6 + $u['ru_stime.tv_sec'] + $u['ru_stime.tv_usec'] / 1e6;
        };
        self::assertLessThan(0.1, $cpu($after) - $cpu($before), 'CPU seconds spent idle for 2 s');
        fclose($stream);
    }

    public function testWaitGetResultCancelAndErrors(): void
    {
        $bus = $this->bus;
        $call = $this->slow($bus);
        self::assertFalse($call->isReady());
        self::assertFalse($call->wait(0.1));
        self::assertTrue($call->cancel());
        self::assertTrue($call->isReady());
        self::assertFalse($call->cancel(), 'once');
        try {
            $call->getResult();
            self::fail('a cancelled call has no result');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString('cancelled', $e->getMessage());
        }
        // getResult() waits; errors come as call() throws them.
        self::assertSame([3], $this->sum($bus, 2)->getResult());
        $failing = $bus->callAsync(self::TYPED, self::TYPED_PATH, self::TYPED, 'Fail', ['net.skypebus.Test.Error.Nope', 'no'], 'ss');
        self::assertTrue($failing->wait(5.0));
        $seen = null;
        $failing->onResolve(static function (?\Throwable $e) use (&$seen): void {
            $seen = $e;
        });
        self::assertInstanceOf(DBusException::class, $seen);
        self::assertSame('net.skypebus.Test.Error.Nope', $seen->getErrorName());
        // The bound: a third call beyond maxAsyncCalls 2 is refused at once.
        $bus->setEventOptions(['maxAsyncCalls' => 2]);
        $a = $this->slow($bus);
        $b = $this->slow($bus);
        try {
            $this->sum($bus, 1);
            self::fail('a third call must be refused');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString('max_async_calls', $e->getMessage());
        }
        self::assertTrue($a->cancel());
        self::assertSame([2], $this->sum($bus, 1)->getResult());
        unset($b);
        // A call to an object of this very Bus: asynchronous, it is served by process().
        $this->prepare($bus);
        $self = $bus->callAsync($bus->getUniqueName(), ServedObject::PATH, ServedObject::INTERFACE, 'Add', [2, 3]);
        $deadline = microtime(true) + 5;
        while (!$self->isReady() && microtime(true) < $deadline) {
            $bus->serve(0.05);
        }
        self::assertSame([5], $self->getResult());
        // Synchronously it would wait for itself: refused at once, naming the object.
        $t = microtime(true);
        try {
            $bus->call($bus->getUniqueName(), ServedObject::PATH, ServedObject::INTERFACE, 'Add', [2, 3]);
            self::fail('a blocking call to ourselves must be refused');
        } catch (DBusException $e) {
            self::assertSame('net.skypebus.Error.CallToSelf', $e->getErrorName());
            self::assertStringContainsString(ServedObject::PATH, $e->getMessage());
        }
        self::assertLessThan(5.0, microtime(true) - $t);
    }

    public function testRevoltAndReactAdaptersOnInTestLoops(): void
    {
        require_once dirname(__DIR__) . '/Support/fake_loops.php';
        foreach (['revolt', 'react'] as $kind) {
            $bus = static::$private->connectPrivate();
            $this->prepare($bus);
            $loop = $kind === 'revolt' ? new \SkypeBus\EventLoop\RevoltLoop() : new \SkypeBus\EventLoop\ReactLoop(\React\EventLoop\Loop::get());
            $signals = [];
            $watcher = BusWatcher::attach($bus, $loop, static function (Signal $s) use (&$signals): void {
                $signals[] = $s->getArg(0);
            });
            $values = [];
            for ($i = 0; $i < 10; $i++) {
                $this->sum($bus, $i)->onResolve(static function (?\Throwable $e, $v) use (&$values, $i): void {
                    $values[$i] = $e ?? $v;
                });
            }
            $slow = $this->slow($bus);
            $watcher->cancelAfter($slow, 0.3);
            $cancelled = null;
            $slow->onResolve(static function (?\Throwable $e) use (&$cancelled): void {
                $cancelled = $e;
            });
            [$process] = $this->client(['dbus-send', '--session', '--type=signal', '/s', 'net.skypebus.Test.Sig.Ping', 'string:' . $kind]);
            $fired = false;
            $timer = $loop->delay(0.05, static function () use (&$fired): void {
                $fired = true;
            });
            self::assertIsString($timer);
            \SkypeBus\Tests\Support\FakeLoops::run($kind, static function () use (&$values, &$signals, &$cancelled): bool {
                return count($values) === 10 && $signals !== [] && $cancelled !== null;
            }, 10.0);
            $watcher->detach();
            proc_close($process);
            ksort($values);
            self::assertSame(array_map(static function (int $i): array {
                return [$i + 1];
            }, range(0, 9)), $values, $kind);
            self::assertSame([$kind], $signals, $kind);
            self::assertInstanceOf(InvalidArgumentException::class, $cancelled, $kind);
            self::assertTrue($fired, "$kind timer");
            $bus->close();
        }
    }

    /** Loads Debian's Amp 2 (php-amphp-amp) unless an autoloader has it already. */
    private static function amp(): bool
    {
        $dir = '/usr/share/php/Amp';
        if (!class_exists('Amp\Loop', false) && !function_exists('Amp\call') && is_file($dir . '/autoload.php')) {
            require_once $dir . '/functions.php';
            require_once $dir . '/Internal/functions.php';
            require_once $dir . '/autoload.php';
        }
        return class_exists('Amp\Loop');
    }
}
