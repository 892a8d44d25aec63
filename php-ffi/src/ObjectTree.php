<?php

declare(strict_types=1);

namespace SkypeBus;

use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\SkypeBusException;

/**
 * The objects a peer publishes under an org.freedesktop.DBus.ObjectManager, from
 * Bus::objectManager(): read once with GetManagedObjects, then kept current by the manager's
 * InterfacesAdded and InterfacesRemoved signals and by the objects' PropertiesChanged, applied
 * whenever the bus processes events (Bus::process(), serve(), nextSignal()).
 *
 *     $nm = $bus->objectManager('org.freedesktop.NetworkManager', '/org/freedesktop');
 *     foreach ($nm->getObjects() as $path => $interfaces) {
 *         if (isset($interfaces['org.freedesktop.NetworkManager.Device'])) {
 *             echo $path, ' ', $interfaces['org.freedesktop.NetworkManager.Device']['Interface'], "\n";
 *         }
 *     }
 *
 * The signals are followed until close(), until the Bus is closed, or until the tree goes away.
 */
final class ObjectTree
{
    private const MANAGER = 'org.freedesktop.DBus.ObjectManager';
    private const PROPERTIES = 'org.freedesktop.DBus.Properties';

    /** @var Bus */
    private $bus;

    /** @var string */
    private $destination;

    /** @var string */
    private $path;

    /** @var array<string, array<string, array<string, mixed>>> path => interface => property => value */
    private $objects = [];

    /** @var list<Subscription> */
    private $subscriptions = [];

    /**
     * @internal made by Bus::objectManager()
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function __construct(Bus $bus, string $destination, string $path)
    {
        $this->bus = $bus;
        $this->destination = $destination;
        $this->path = $path;
        $sender = $destination !== '' ? ['sender' => $destination] : [];
        $self = \WeakReference::create($this);
        $listener = static function (Signal $signal) use ($self): void {
            $tree = $self->get();
            if ($tree !== null) {
                $tree->apply($signal);
            }
        };
        try {
            // The signals first, then the state: no change between the two is lost.
            $this->subscriptions[] = $bus->listen($sender + ['path' => $path, 'interface' => self::MANAGER], $listener);
            $this->subscriptions[] = $bus->listen(
                $sender + ($path === '/' ? [] : ['path_namespace' => $path])
                + ['interface' => self::PROPERTIES, 'member' => 'PropertiesChanged'],
                $listener
            );
            $this->refresh();
        } catch (\Throwable $e) {
            $this->close();
            throw $e;
        }
    }

    /**
     * Every object: path => interface => property => value, paths in order.
     *
     * @return array<string, array<string, array<string, mixed>>>
     */
    public function getObjects(): array
    {
        return $this->objects;
    }

    /**
     * The interfaces of one object (interface => property => value), null when the tree has
     * no object at $path.
     *
     * @return array<string, array<string, mixed>>|null
     */
    public function getObject(string $path): ?array
    {
        return $this->objects[$path] ?? null;
    }

    /** The peer (its bus name) and the path of its ObjectManager. */
    public function getDestination(): string
    {
        return $this->destination;
    }

    public function getPath(): string
    {
        return $this->path;
    }

    /**
     * Reads the whole tree again (GetManagedObjects).
     *
     * @throws Exception\DBusException|InvalidArgumentException
     */
    public function refresh(): void
    {
        [$objects] = $this->bus->call($this->destination, $this->path, self::MANAGER, 'GetManagedObjects', [], '');
        $this->objects = [];
        foreach ((array) $objects as $path => $interfaces) {
            $this->objects[(string) $path] = (array) $interfaces;
        }
        ksort($this->objects, SORT_STRING);
    }

    /** Stops following the signals; the tree keeps what it had. Idempotent. */
    public function close(): void
    {
        foreach ($this->subscriptions as $subscription) {
            $subscription->unsubscribe();
        }
        $this->subscriptions = [];
    }

    /**
     * @internal applies a signal of the manager or of an object
     */
    public function apply(Signal $signal): void
    {
        $args = $signal->getArgs();
        $path = $signal->getMember() === 'PropertiesChanged' ? $signal->getPath() : (string) ($args[0] ?? '');
        switch ($signal->getMember()) {
            case 'InterfacesAdded':
                foreach ((array) ($args[1] ?? []) as $interface => $properties) {
                    $this->objects[$path][(string) $interface] = (array) $properties;
                }
                ksort($this->objects, SORT_STRING);
                break;
            case 'InterfacesRemoved':
                foreach ((array) ($args[1] ?? []) as $interface) {
                    unset($this->objects[$path][(string) $interface]);
                }
                if (($this->objects[$path] ?? null) === []) {
                    unset($this->objects[$path]);
                }
                break;
            case 'PropertiesChanged':
                $interface = (string) ($args[0] ?? '');
                if (!isset($this->objects[$path][$interface])) {
                    break;
                }
                foreach ((array) ($args[1] ?? []) as $name => $value) {
                    $this->objects[$path][$interface][(string) $name] = $value;
                }
                foreach ((array) ($args[2] ?? []) as $name) {
                    // Invalidated without a value: the tree cannot know it until it is read.
                    unset($this->objects[$path][$interface][(string) $name]);
                }
                break;
        }
    }

    public function __destruct()
    {
        $this->close();
    }
}
