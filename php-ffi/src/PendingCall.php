<?php

declare(strict_types=1);

namespace SkypeBus;

use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\SkypeBusException;
use SkypeBus\Internal\AsyncCalls;
use SkypeBus\Internal\Errors;
use SkypeBus\Internal\Native;
use SkypeBus\Internal\ReplyDecoder;

/**
 * An asynchronous call (Bus::callAsync()): the call runs while PHP does other things; its
 * result comes once the call finishes. Frees its library handle (skypebus_pending_call *) when
 * it goes away.
 *
 * The result is settled, and the onResolve() callbacks run, the first time one of these sees
 * the call finished: Bus::process() (or serve(), nextSignal(): the call's "call_finished"
 * event), isReady(), wait(), getResult(). An event loop watching Bus::eventStream() (or
 * SkypeBus\EventLoop\BusWatcher) therefore settles every call without polling.
 */
final class PendingCall
{
    /** @var AsyncCalls|null the Bus's registry, while the call is not settled */
    private $registry;

    /** @var Native */
    private $native;

    /** @var \FFI\CData|null skypebus_pending_call*, null once freed */
    private $handle;

    /** @var int */
    private $id;

    /** @var bool */
    private $typedVariants;

    /** @var bool */
    private $noReply;

    /** @var bool the request had no signature (the library typed it from introspection) */
    private $introspected;

    /** @var bool */
    private $settled = false;

    /** @var list<mixed> */
    private $values = [];

    /** @var \Throwable|null */
    private $error;

    /** @var list<callable(?\Throwable, mixed): mixed> */
    private $callbacks = [];

    /**
     * @internal Bus::callAsync() makes it.
     */
    public function __construct(AsyncCalls $registry, Native $native, \FFI\CData $handle, bool $typedVariants, bool $noReply, bool $introspected)
    {
        $this->registry = $registry;
        $this->native = $native;
        $this->handle = $handle;
        $this->id = $native->pendingId($handle);
        $this->typedVariants = $typedVariants;
        $this->noReply = $noReply;
        $this->introspected = $introspected;
    }

    /** The id the library's "call_finished" event names (unique per connection). */
    public function getId(): int
    {
        return $this->id;
    }

    /** True once the call has finished (with a reply or an error) or was cancelled. Never blocks. */
    public function isReady(): bool
    {
        if (!$this->settled && $this->handle !== null && $this->native->pendingReady($this->handle)) {
            $this->settle();
        }
        return $this->settled;
    }

    /**
     * Waits for the call to finish, at most $timeout seconds (null: until it finishes, which
     * its own timeout bounds); true when it has. While waiting, the connection is read (the
     * reply is taken by this thread) but nothing else of PHP runs: calls to serve and signals
     * wait for process(). PHP signal handlers (ext-pcntl) run between slices of 1 s.
     *
     * @throws InvalidArgumentException for a negative or non-finite $timeout
     */
    public function wait(?float $timeout = null): bool
    {
        if ($timeout !== null && (!is_finite($timeout) || $timeout < 0)) {
            throw Errors::invalid(sprintf('A wait must be a finite number of seconds of 0 or more, %s given', (string) $timeout));
        }
        $deadline = $timeout === null ? null : microtime(true) + $timeout;
        while (!$this->settled && $this->handle !== null) {
            $left = $deadline === null ? 1.0 : min(1.0, $deadline - microtime(true));
            $this->settle((int) ceil(max(0.0, $left) * 1000));
            if ($this->settled || ($deadline !== null && microtime(true) >= $deadline)) {
                break;
            }
            if (function_exists('pcntl_signal_dispatch')) {
                pcntl_signal_dispatch();
            }
        }
        return $this->settled;
    }

    /**
     * The reply's values (as Bus::call() returns them), waiting for the call to finish if it
     * has not; or throws what Bus::call() would have thrown (DBusException and its kinds,
     * TimeoutException, DisconnectedException, ...). A cancelled call throws an
     * InvalidArgumentException saying so.
     *
     * @return list<mixed>
     * @throws SkypeBusException
     */
    public function getResult(): array
    {
        $this->wait();
        if ($this->error !== null) {
            throw $this->error;
        }
        return $this->values;
    }

    /**
     * Stops waiting for the reply: the call settles at once as cancelled (getResult() throws),
     * and its reply, if one comes, is ignored. The peer still runs the method (D-Bus cannot
     * take a call back). True when the call was still running; a finished call keeps its
     * result and false is returned.
     */
    public function cancel(): bool
    {
        if ($this->settled || $this->handle === null) {
            return false;
        }
        $cancelled = $this->native->pendingCancel($this->handle);
        $this->settle();
        return $cancelled;
    }

    /**
     * Registers a callback for the result, called as $callback(null, $values) on success or
     * $callback($exception, null) on failure: at once if the call is settled already, else
     * when it settles (from process(), isReady(), wait() or getResult()). The shape of Amp 2's
     * Promise::onResolve(); SkypeBus\EventLoop\AmpLoop::promise() makes an Amp\Promise of it.
     *
     * @param callable(?\Throwable, mixed): mixed $callback
     */
    public function onResolve(callable $callback): void
    {
        if ($this->settled) {
            $callback($this->error, $this->error === null ? $this->values : null);
            return;
        }
        $this->callbacks[] = $callback;
    }

    /**
     * @internal Takes the result from the library (waiting up to $milliseconds) and, once there
     * is one, settles the call and runs its callbacks.
     */
    public function settle(int $milliseconds = 0): void
    {
        if ($this->settled || $this->handle === null) {
            return;
        }
        try {
            $reply = $this->native->pendingWait($this->handle, $milliseconds);
            if ($reply === null) {
                return;
            }
            $this->values = $this->noReply ? [] : ReplyDecoder::decodeReply($reply, $this->typedVariants);
        } catch (InvalidArgumentException $e) {
            $this->error = $this->introspected ? Errors::againstIntrospection($e) : $e;
        } catch (SkypeBusException $e) {
            $this->error = $e;
        }
        $this->settled = true;
        if ($this->registry !== null) {
            $this->registry->forget($this->id);
            $this->registry = null;
        }
        $callbacks = $this->callbacks;
        $this->callbacks = [];
        foreach ($callbacks as $callback) {
            $callback($this->error, $this->error === null ? $this->values : null);
        }
    }

    /** @return array<string, mixed> */
    public function __debugInfo(): array
    {
        return ['id' => $this->id, 'settled' => $this->settled, 'failed' => $this->error !== null];
    }

    public function __destruct()
    {
        if ($this->handle !== null) {
            $this->native->freePending($this->handle);
            $this->handle = null;
        }
    }

    /** @return never */
    public function __clone()
    {
        throw Errors::invalid('A PendingCall cannot be cloned');
    }
}
