<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Bus;
use SkypeBus\Signal;
use SkypeBus\Subscription;
use SkypeBus\Type\Variant;

/**
 * The property values of one remote object, kept current by its PropertiesChanged signals: a
 * Proxy made with 'cacheProperties' => true reads each property once, then takes changed values
 * from the signals (when the bus processes events) and reads invalidated ones again on their
 * next access. The subscription is made before the first read (so no change is missed) and
 * ends when the cache goes away (the listener holds it weakly).
 *
 * @internal
 */
final class PropertyCache
{
    /** @var Bus */
    private $bus;

    /** @var string */
    private $destination;

    /** @var string */
    private $path;

    /** @var bool whether the proxy's variants come typed */
    private $typed;

    /** @var Subscription|null made on the first read */
    private $subscription;

    /** @var array<string, array<string, mixed>> interface => property => value */
    private $values = [];

    public function __construct(Bus $bus, string $destination, string $path, bool $typed)
    {
        $this->bus = $bus;
        $this->destination = $destination;
        $this->path = $path;
        $this->typed = $typed;
    }

    /**
     * The cached value of a property, else what $read() returns (then cached).
     *
     * @param callable(): mixed $read
     * @return mixed
     */
    public function get(string $interface, string $name, callable $read)
    {
        if (isset($this->values[$interface]) && array_key_exists($name, $this->values[$interface])) {
            return $this->values[$interface][$name];
        }
        $this->follow();
        $value = $read();
        $this->values[$interface][$name] = $value;
        return $value;
    }

    /** Forgets a value (after a write of ours: it is read again next time). */
    public function forget(string $interface, string $name): void
    {
        unset($this->values[$interface][$name]);
    }

    /** Applies a PropertiesChanged signal: changed values replace, invalidated ones go. */
    public function apply(Signal $signal): void
    {
        $args = $signal->getArgs();
        if ($signal->getDecodeError() !== null || !is_string($args[0] ?? null)) {
            // A signal that cannot be read: nothing cached for the interface can be trusted.
            unset($this->values[$args[0] ?? '']);
            return;
        }
        $interface = $args[0];
        foreach ((array) ($args[1] ?? []) as $name => $value) {
            $this->values[$interface][(string) $name] = $value instanceof Variant && $this->typed ? $value->getValue() : $value;
        }
        foreach ((array) ($args[2] ?? []) as $name) {
            unset($this->values[$interface][(string) $name]);
        }
    }

    /** Subscribes to the object's PropertiesChanged, once. */
    private function follow(): void
    {
        if ($this->subscription !== null && $this->subscription->isActive()) {
            return;
        }
        $match = ['path' => $this->path, 'interface' => 'org.freedesktop.DBus.Properties', 'member' => 'PropertiesChanged'];
        if ($this->destination !== '') {
            $match['sender'] = $this->destination;
        }
        if ($this->typed) {
            $match['variants'] = 'typed';
        }
        $this->values = [];
        $self = \WeakReference::create($this);
        $this->subscription = $this->bus->listen($match, static function (Signal $signal) use ($self): void {
            $cache = $self->get();
            if ($cache !== null) {
                $cache->apply($signal);
            }
        });
    }

    public function __destruct()
    {
        if ($this->subscription !== null) {
            $this->subscription->unsubscribe();
        }
    }
}
