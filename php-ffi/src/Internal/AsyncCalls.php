<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\SkypeBusException;
use SkypeBus\PendingCall;

/**
 * Bus's asynchronous calls: starts them (Bus::callAsync()) and keeps every call that has not
 * settled, by id, so that the library's "call_finished" event, taken by EventLoop, settles the
 * right PendingCall (and runs its callbacks) even when the application kept no reference to it.
 *
 * @internal
 */
final class AsyncCalls
{
    /** @var Connection */
    private $connection;

    /** @var array<int, PendingCall> calls not settled yet, by id */
    private $running = [];

    public function __construct(Connection $connection)
    {
        $this->connection = $connection;
    }

    /**
     * Starts a call; the library sends it and returns at once. Moves a shared Bus to a private
     * connection, whose event queue is this Bus's alone (the "call_finished" events must come
     * back to this Bus).
     *
     * @param list<mixed> $args
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function start(CallTarget $target, array $args, CallOptions $options): PendingCall
    {
        $request = RequestEncoder::encodeCall($target, $args, $options);
        $this->connection->ensurePrivate();
        $native = $this->connection->native;
        $handle = $native->callStart($this->connection->handle(), $request);
        $call = new PendingCall($this, $native, $handle, $options->typedVariants, $options->noReply, $target->signature === null);
        $this->running[$call->getId()] = $call;
        return $call;
    }

    /** The call $id finished (its event was taken): settles it. */
    public function finished(int $id): void
    {
        if (isset($this->running[$id])) {
            $this->running[$id]->settle();
        }
    }

    /** Called by a PendingCall once it settled. */
    public function forget(int $id): void
    {
        unset($this->running[$id]);
    }

    /** Calls started and not settled yet. */
    public function count(): int
    {
        return count($this->running);
    }
}
