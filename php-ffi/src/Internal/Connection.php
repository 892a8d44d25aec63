<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\ConnectFailedException;
use SkypeBus\Exception\DisconnectedException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\SkypeBusException;

/**
 * The C connection of a Bus (skypebus_connection *): opened here, moved to a private connection
 * here, freed here (close(), or when the object goes away). Bus and the classes it delegates to
 * share one Connection and read its handle for every library call, so a move to a private
 * connection or a close is seen by all of them at once.
 *
 * @internal
 */
final class Connection
{
    /** @var Native */
    public $native;

    /**
     * @var \FFI\CData|null skypebus_connection*, null once closed; read it, never set it, outside
     *                      this class (the hot call path reads it without a method call)
     */
    public $handle;

    /** @var Tracer|null where messages are told (Bus::setLogger(), SKYPEBUS_TRACE); null: nowhere */
    public $tracer;

    /** @var string the address the connection was opened with (also to reopen it privately) */
    private $address;

    /** @var bool a connection of this Bus alone */
    private $private;

    /** @var int|null the timeout setTimeout() gave, carried over to a private connection */
    private $timeoutMs;

    private function __construct(Native $native, \FFI\CData $handle, string $address, bool $private)
    {
        $this->native = $native;
        $this->handle = $handle;
        $this->address = $address;
        $this->private = $private;
    }

    /**
     * @throws SkypeBusException|InvalidArgumentException
     */
    public static function open(Native $native, string $address, bool $private): self
    {
        if ($address === '') {
            throw new InvalidArgumentException('The bus address is empty', 'net.skypebus.Error.InvalidName', ResultCode::INVALID_NAME);
        }
        $resolved = BusAddress::resolve($address);
        try {
            $handle = $native->connect($resolved->address, $private);
        } catch (ConnectFailedException $e) {
            throw $resolved->origin === null ? $e : Errors::connectFailed($e->getMessage() . ' (' . $resolved->origin . ')', $e);
        }
        return new self($native, $handle, $resolved->address, $private);
    }

    public function address(): string
    {
        return $this->address;
    }

    /**
     * The handle of an open connection.
     *
     * @throws \SkypeBus\Exception\DisconnectedException once closed
     */
    public function handle(): \FFI\CData
    {
        if ($this->handle === null) {
            throw Errors::closed();
        }
        return $this->handle;
    }

    /** @throws SkypeBusException */
    public function setTimeout(int $milliseconds): void
    {
        $this->native->setTimeout($this->handle(), $milliseconds);
        $this->timeoutMs = $milliseconds;
    }

    /**
     * Moves a handle to a shared connection to a private connection of its own, opened to the
     * same address (with the timeout setTimeout() gave), and releases the shared handle.
     * Subscriptions, exports and owned names need a connection of their own: so that a served
     * object's unique name is the one its own calls come from, and so that they do not affect
     * other users of the shared connection.
     *
     * @throws SkypeBusException
     */
    public function ensurePrivate(): void
    {
        $shared = $this->handle();
        if ($this->private) {
            return;
        }
        $connection = $this->native->connect($this->address, true);
        if ($this->timeoutMs !== null) {
            try {
                $this->native->setTimeout($connection, $this->timeoutMs);
            } catch (SkypeBusException $e) {
                $this->native->freeConnection($connection);
                throw $e;
            }
        }
        $this->handle = $connection;
        $this->private = true;
        $this->native->freeConnection($shared);
    }

    /**
     * Whether calls on this connection can no longer work: closed here, or lost (the library
     * reports the loss on any request; asking for the unique name is the cheapest).
     */
    public function isLost(): bool
    {
        if ($this->handle === null) {
            return true;
        }
        try {
            $this->native->uniqueName($this->handle);
            return false;
        } catch (DisconnectedException $e) {
            return true;
        }
    }

    /** Frees the connection; idempotent. */
    public function close(): void
    {
        if ($this->handle !== null) {
            $handle = $this->handle;
            $this->handle = null;
            $this->native->freeConnection($handle);
        }
    }

    public function __destruct()
    {
        $this->close();
    }
}
