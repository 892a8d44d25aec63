<?php

declare(strict_types=1);

namespace SkypeBus\EventLoop;

use SkypeBus\Bus;
use SkypeBus\Exception\DisconnectedException;
use SkypeBus\PendingCall;
use SkypeBus\Signal;

/**
 * Drives a Bus from an event loop: watches Bus::eventStream() and, whenever it is readable,
 * runs Bus::process() (calls to serve are answered, finished asynchronous calls settle and run
 * their onResolve() callbacks, name events are noted) and hands every signal that process()
 * kept to $onSignal. Nothing polls: an idle Bus costs the loop nothing.
 *
 *     $watcher = BusWatcher::attach($bus, new AmpLoop(), function (Signal $s): void { ... });
 *     $bus->callAsync(...)->onResolve(function (?\Throwable $e, $values): void { ... });
 *     Amp\Loop::run();           // until $watcher->detach() and nothing else is left
 *
 * The watcher detaches itself when the Bus is closed or its connection is lost.
 */
final class BusWatcher
{
    /** @var Bus */
    private $bus;

    /** @var LoopInterface */
    private $loop;

    /** @var resource|null */
    private $stream;

    /** @var string|null the loop's id of the stream watcher */
    private $watcher;

    /** @var (callable(Signal): mixed)|null */
    private $onSignal;

    /** @var array<string, true> timers of cancelAfter() still waiting */
    private $timers = [];

    /**
     * @param (callable(Signal): mixed)|null $onSignal
     */
    private function __construct(Bus $bus, LoopInterface $loop, ?callable $onSignal)
    {
        $this->bus = $bus;
        $this->loop = $loop;
        $this->onSignal = $onSignal;
    }

    /**
     * Starts watching $bus on $loop. Moves a shared Bus to a private connection (as
     * Bus::eventStream() does). Without $onSignal, signals stay for Bus::nextSignal().
     *
     * @param (callable(Signal): mixed)|null $onSignal
     */
    public static function attach(Bus $bus, LoopInterface $loop, ?callable $onSignal = null): self
    {
        $watcher = new self($bus, $loop, $onSignal);
        $watcher->stream = $bus->eventStream();
        $watcher->watcher = $loop->onReadable($watcher->stream, function () use ($watcher): void {
            $watcher->dispatch();
        });
        return $watcher;
    }

    /** True until detach() (or until the Bus was closed or lost). */
    public function isAttached(): bool
    {
        return $this->watcher !== null;
    }

    /**
     * Cancels $call if it has not settled $seconds from now: a deadline kept by the loop's
     * timer, for a call whose own timeout is longer (its callbacks then get the cancellation).
     */
    public function cancelAfter(PendingCall $call, float $seconds): void
    {
        $id = '';
        $id = $this->loop->delay($seconds, function () use ($call, &$id): void {
            unset($this->timers[$id]);
            $call->cancel();
        });
        $this->timers[$id] = true;
        $call->onResolve(function () use (&$id): void {
            if (isset($this->timers[$id])) {
                unset($this->timers[$id]);
                $this->loop->cancel($id);
            }
        });
    }

    /** Runs what is ready: the loop calls it when the event stream is readable. */
    public function dispatch(): void
    {
        try {
            $this->bus->process();
            if ($this->onSignal !== null) {
                while (($signal = $this->bus->nextSignal(0.0)) !== null) {
                    ($this->onSignal)($signal);
                }
            }
        } catch (DisconnectedException $e) {
            $this->detach();
        }
    }

    /** Stops watching the Bus and cancels the timers it set; idempotent. */
    public function detach(): void
    {
        if ($this->watcher !== null) {
            $this->loop->cancel($this->watcher);
            $this->watcher = null;
        }
        foreach (array_keys($this->timers) as $id) {
            $this->loop->cancel((string) $id);
        }
        $this->timers = [];
        if (is_resource($this->stream)) {
            fclose($this->stream);
        }
        $this->stream = null;
    }
}
