<?php

declare(strict_types=1);

namespace SkypeBus;

/**
 * A subscription to signals, made by Bus::subscribe(). It lasts until unsubscribe() or until
 * its Bus is closed, not until this object goes away: `$bus->subscribe([...]);` as a statement
 * subscribes for good.
 */
final class Subscription
{
    /** @var Bus */
    private $bus;

    /** @var int */
    private $id;

    /** @var array<string, mixed> */
    private $match;

    /** @var bool */
    private $active = true;

    /**
     * @internal made by Bus::subscribe()
     * @param array<string, mixed> $match
     */
    public function __construct(Bus $bus, int $id, array $match)
    {
        $this->bus = $bus;
        $this->id = $id;
        $this->match = $match;
    }

    /** The library's id of the subscription (1 or more), as listed by Signal::getSubscriptions(). */
    public function id(): int
    {
        return $this->id;
    }

    /**
     * The match it was made with.
     *
     * @return array<string, mixed>
     */
    public function getMatch(): array
    {
        return $this->match;
    }

    /** True until unsubscribe() or until the Bus is closed. */
    public function isActive(): bool
    {
        return $this->active && !$this->bus->isClosed();
    }

    /**
     * Ends the subscription: no further signal matches it, and signals waiting that matched
     * only it are discarded. Idempotent; does nothing once the Bus is closed.
     *
     * @throws Exception\SkypeBusException
     */
    public function unsubscribe(): void
    {
        if (!$this->active) {
            return;
        }
        $this->active = false;
        if (!$this->bus->isClosed()) {
            $this->bus->endSubscription($this->id);
        }
    }
}
