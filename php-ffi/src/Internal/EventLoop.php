<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\SkypeBusException;
use SkypeBus\Signal;

/**
 * Bus's one event loop: takes the library's events (skypebus_next_event) and hands each to
 * its owner (a signal to Signals, a call or a property write to Server, a name event to
 * Server, a finished asynchronous call to AsyncCalls), waiting in slices between which PHP signal handlers (ext-pcntl) run and interrupt()
 * or close() end the wait. Also the event machinery's settings and counters.
 *
 * @internal
 */
final class EventLoop
{
    /** Longest wait inside the library between two checks of PHP signals and interrupt(). */
    private const SLICE = 0.05;

    /** @var Connection */
    private $connection;

    /** @var Signals */
    private $signals;

    /** @var Server */
    private $server;

    /** @var AsyncCalls */
    private $async;

    /** @var bool interrupt() was called and no wait has returned for it yet */
    private $interrupted = false;

    /** @var bool the last wait returned because of interrupt() or close() */
    private $lastWaitInterrupted = false;

    public function __construct(Connection $connection, Signals $signals, Server $server, AsyncCalls $async)
    {
        $this->connection = $connection;
        $this->signals = $signals;
        $this->server = $server;
        $this->async = $async;
    }

    /**
     * Bus::nextSignal(), documented there.
     *
     * @throws SkypeBusException|InvalidArgumentException
     */
    public function nextSignal(float $timeout): ?Signal
    {
        self::checkWait($timeout);
        $this->connection->handle();
        $this->lastWaitInterrupted = false;
        $kept = $this->signals->keptSignal();
        if ($kept !== null) {
            return $kept;
        }
        return $this->loop($timeout, true);
    }

    /**
     * Bus::signals(), documented there.
     *
     * @return \Generator<int, Signal, mixed, void>
     */
    public function signals(?float $timeout): \Generator
    {
        if ($timeout !== null) {
            self::checkWait($timeout);
        }
        while ($this->connection->handle !== null) {
            $signal = $this->nextSignal($timeout ?? 3600.0);
            if ($signal === null) {
                if ($timeout !== null || $this->lastWaitInterrupted) {
                    return;
                }
                continue;
            }
            yield $signal;
        }
    }

    /**
     * Bus::serve(), documented there.
     *
     * @throws SkypeBusException|InvalidArgumentException
     */
    public function serve(float $timeout): int
    {
        self::checkWait($timeout);
        $this->connection->handle();
        $this->lastWaitInterrupted = false;
        $before = $this->server->answered;
        $this->loop($timeout, false);
        return $this->server->answered - $before;
    }

    /**
     * Bus::process(), documented there.
     *
     * @throws SkypeBusException
     */
    public function process(): int
    {
        $before = $this->server->answered;
        $stats = $this->libraryStats();
        $pending = (int) ($stats['queued_calls'] ?? 0) + (int) ($stats['queued_signals'] ?? 0)
            + (int) ($stats['finished_calls'] ?? 0);
        for ($i = 0; $i < $pending && $this->connection->handle !== null; $i++) {
            $event = $this->pull(0);
            if ($event === null) {
                break;
            }
            $signal = $this->handleEvent($event);
            if ($signal !== null) {
                $this->signals->keep($signal);
            }
        }
        return $this->server->answered - $before;
    }

    public function interrupt(): void
    {
        $this->interrupted = true;
    }

    /**
     * Bus::droppedSignals(), documented there.
     *
     * @throws SkypeBusException
     */
    public function droppedSignals(): int
    {
        return $this->connection->native->droppedSignals($this->connection->handle()) + $this->signals->droppedCount();
    }

    /**
     * Bus::eventStats(), documented there.
     *
     * @return array<string, int>
     * @throws SkypeBusException
     */
    public function eventStats(): array
    {
        return $this->libraryStats() + [
            'php_kept_signals' => $this->signals->keptCount(),
            'php_dropped_signals' => $this->signals->droppedCount(),
            'php_cached_credentials' => $this->server->cachedCredentials(),
        ];
    }

    /**
     * Bus::setEventOptions(), documented there.
     *
     * @param array<string, int|float> $options
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function setEventOptions(array $options): void
    {
        $request = [];
        $names = ['queueLimit' => 'queue_limit', 'queueBytes' => 'queue_bytes', 'maxPendingCalls' => 'max_pending_calls', 'maxAsyncCalls' => 'max_async_calls'];
        foreach ($options as $key => $value) {
            $key = (string) $key;
            if ($key === 'callTimeout') {
                $request['call_timeout_ms'] = CallOptions::fromArray(['timeout' => $value])->timeoutMs;
            } elseif (isset($names[$key])) {
                if (!is_int($value) || $value < 1) {
                    throw Errors::invalid(sprintf('The event option "%s" must be an int of 1 or more', $key));
                }
                $request[$names[$key]] = $value;
            } else {
                throw Errors::invalid(sprintf(
                    'Unknown event option "%s"; the options are: queueLimit, queueBytes, callTimeout, maxPendingCalls, maxAsyncCalls',
                    $key
                ));
            }
        }
        $this->connection->ensurePrivate();
        $this->connection->native->setEventOptions($this->connection->handle(), RequestEncoder::encode((object) $request));
        if (isset($request['queue_limit'])) {
            $this->signals->setLimit($request['queue_limit']);
        }
    }

    /**
     * Bus::eventStream(), documented there.
     *
     * @return resource
     * @throws SkypeBusException
     */
    public function eventStream()
    {
        $this->connection->ensurePrivate();
        $fd = $this->connection->native->eventFd($this->connection->handle());
        $stream = fopen('php://fd/' . $fd, 'rb');
        if ($stream === false) {
            throw new DBusException('net.skypebus.Error.IO', 'Cannot open the event descriptor as a stream', ResultCode::IO_ERROR);
        }
        return $stream;
    }

    /**
     * The loop of nextSignal() ($untilSignal: returns the first signal) and serve() (keeps
     * signals and runs until the deadline). Waits inside the library in slices; between slices
     * (and at least every slice while busy) PHP signal handlers run, and interrupt() or close()
     * end the loop. Past the deadline, events already waiting are still taken for up to one more
     * slice, so that a queue with calls ahead of a signal does not hide the signal.
     */
    private function loop(float $timeout, bool $untilSignal): ?Signal
    {
        $start = microtime(true);
        $deadline = $start + $timeout;
        $lastDispatch = $start;
        while (true) {
            if ($this->connection->handle === null || $this->interrupted) {
                $this->interrupted = false;
                $this->lastWaitInterrupted = true;
                return null;
            }
            $now = microtime(true);
            $remaining = $deadline - $now;
            $event = $this->pull($remaining > 0 ? (int) ceil(min($remaining, self::SLICE) * 1000) : 0);
            if ($event !== null) {
                $signal = $this->handleEvent($event);
                if ($signal !== null) {
                    if ($untilSignal) {
                        return $signal;
                    }
                    $this->signals->keep($signal);
                }
            }
            $now = microtime(true);
            if ($event === null || $now - $lastDispatch >= self::SLICE) {
                self::dispatchPcntl();
                $lastDispatch = $now;
            }
            if ($now >= $deadline && ($event === null || $now >= $deadline + self::SLICE)) {
                if ($this->connection->handle === null || $this->interrupted) {
                    continue;
                }
                return null;
            }
        }
    }

    /** Runs the PHP signal handlers that are due (ext-pcntl), if the extension is loaded. */
    private static function dispatchPcntl(): void
    {
        if (function_exists('pcntl_signal_dispatch')) {
            pcntl_signal_dispatch();
        }
    }

    /**
     * The next event from the library, waiting up to $milliseconds; null when none came.
     *
     * @return array<string, mixed>|null
     */
    private function pull(int $milliseconds): ?array
    {
        $json = $this->connection->native->nextEvent($this->connection->handle(), $milliseconds);
        if ($json === null) {
            return null;
        }
        $event = ReplyDecoder::decodeJson($json, 'an event');
        return is_array($event) ? $event : null;
    }

    /**
     * Does what an event asks: answers a call, notes a name event; returns a signal.
     *
     * @param array<string, mixed> $event
     */
    private function handleEvent(array $event): ?Signal
    {
        switch ($event['kind'] ?? null) {
            case 'signal':
                $signal = $this->signals->signalOf($event);
                return $this->signals->dispatch($signal) ? $signal : null;
            case 'call':
                $this->server->answerCall($event);
                return null;
            case 'set_property':
                $this->server->answerPropertyWrite($event);
                return null;
            case 'name_acquired':
                $this->server->noteName((string) ($event['name'] ?? ''), true);
                return null;
            case 'name_lost':
                $this->server->noteName((string) ($event['name'] ?? ''), false);
                return null;
            case 'call_finished':
                $this->async->finished((int) ($event['id'] ?? 0));
                return null;
            default:
                return null;
        }
    }

    /**
     * @return array<string, int>
     * @throws SkypeBusException
     */
    private function libraryStats(): array
    {
        $stats = ReplyDecoder::decodeJson($this->connection->native->eventStats($this->connection->handle()), 'the event statistics');
        return is_array($stats) ? $stats : [];
    }

    private static function checkWait(float $timeout): void
    {
        if (!is_finite($timeout) || $timeout < 0) {
            throw Errors::invalid(sprintf('A wait must be a finite number of seconds of 0 or more, %s given', (string) $timeout));
        }
    }
}
