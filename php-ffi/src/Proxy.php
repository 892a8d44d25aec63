<?php

declare(strict_types=1);

namespace SkypeBus;

use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\UnknownMethodException;
use SkypeBus\Internal\Introspection;
use SkypeBus\Type\TypedValue;
use SkypeBus\Type\Variant;

/**
 * An object of a peer, from Bus::proxy(): its D-Bus methods are PHP methods with the same,
 * exact names, and its D-Bus properties are PHP properties.
 *
 *     $notifications = $bus->proxy('org.freedesktop.Notifications', '/org/freedesktop/Notifications');
 *     $id = $notifications->Notify('app', 0, '', 'Hello', 'World', [], ['urgency' => new Byte(2)], -1);
 *     $battery = $bus->proxy('org.freedesktop.UPower', '/org/freedesktop/UPower/devices/DisplayDevice',
 *         'org.freedesktop.UPower.Device');
 *     echo $battery->Percentage;
 *     $player->Volume = 0.5;
 *
 * A method call returns null for no reply value, the value itself for one, a list for several.
 *
 * The proxy reads the object's introspection data once, on first use (when ext-simplexml is
 * present), and takes from it each method's interface and argument signature and each
 * property's interface and type, so plain PHP values are sent with the types the peer declared
 * (a property of type "u" set to 7 is sent as "u", not "i"). What introspection cannot know,
 * the contents of a variant, is what typed values are for. Without introspection data calls go
 * out without a signature, and the library decides.
 *
 * The proxy has no methods or properties of its own, so no remote name is ever shadowed.
 */
final class Proxy
{
    private const INTROSPECTABLE = 'org.freedesktop.DBus.Introspectable';

    /** @var Bus */
    private $bus;

    /** @var string */
    private $destination;

    /** @var string */
    private $path;

    /** @var string|null */
    private $interface;

    /** @var array<string, mixed> */
    private $options;

    /** @var Introspection|false|null the data, false when unavailable, null before the first look */
    private $introspection;

    /**
     * Use Bus::proxy().
     *
     * @internal
     * @param array<string, mixed> $options
     */
    public function __construct(Bus $bus, string $destination, string $path, ?string $interface, array $options)
    {
        $this->bus = $bus;
        $this->destination = $destination;
        $this->path = $path;
        $this->interface = $interface;
        $this->options = $options;
    }

    /**
     * Calls the remote method $name.
     *
     * @param list<mixed> $args
     * @return mixed null, the one reply value, or the list of reply values
     * @throws DBusException|InvalidArgumentException
     */
    public function __call(string $name, array $args)
    {
        $interface = $this->interface;
        $signature = null;
        $method = $this->introspection() ? $this->introspection->findMethod($name, $this->interface) : null;
        if ($method !== null) {
            $interface = $method['interface'];
            $signature = $method['in'];
        }
        try {
            $values = $this->bus->call($this->destination, $this->path, $interface, $name, $args, $signature, $this->options);
        } catch (UnknownMethodException $e) {
            throw $this->explainUnknownMethod($e, $name);
        }
        switch (count($values)) {
            case 0:
                return null;
            case 1:
                return $values[0];
            default:
                return $values;
        }
    }

    /**
     * Reads the remote property $name.
     *
     * @return mixed
     */
    public function __get(string $name)
    {
        $property = $this->property($name);
        return $this->bus->getProperty($this->destination, $this->path, $property['interface'], $name, $this->callOptions());
    }

    /**
     * Sets the remote property $name; a plain PHP value is sent as the property's declared type.
     *
     * @param mixed $value
     */
    public function __set(string $name, $value): void
    {
        $property = $this->property($name);
        $type = $property['type'];
        if (!$value instanceof TypedValue && $type !== null && $type !== 'v') {
            $value = new Variant($type, $value);
        }
        $this->bus->setProperty($this->destination, $this->path, $property['interface'], $name, $value, $this->callOptions());
    }

    /** True when the object has the property (by its introspection data, else by reading it). */
    public function __isset(string $name): bool
    {
        if ($this->introspection()) {
            return $this->introspection->findProperty($name, $this->interface) !== null;
        }
        try {
            $this->__get($name);
            return true;
        } catch (DBusException $e) {
            return false;
        }
    }

    /**
     * @return never
     */
    public function __unset(string $name): void
    {
        throw new \LogicException('D-Bus properties cannot be unset');
    }

    /**
     * The interface and type of a property: from introspection, else the proxy's interface (or
     * "", which the Properties interface takes as "any") and no type.
     *
     * @return array{interface: string, type: string|null}
     */
    private function property(string $name): array
    {
        if ($this->introspection()) {
            $found = $this->introspection->findProperty($name, $this->interface);
            if ($found !== null) {
                return ['interface' => $found['interface'], 'type' => $found['type']];
            }
        }
        return ['interface' => $this->interface ?? '', 'type' => null];
    }

    /** Property calls take the proxy's options but 'noReply', which would lose the value. */
    private function callOptions(): array
    {
        $options = $this->options;
        unset($options['noReply']);
        return $options;
    }

    /**
     * Loads the introspection data on first use; false when there is none to be had.
     */
    private function introspection(): bool
    {
        if ($this->introspection === null) {
            $this->introspection = false;
            if (Introspection::isAvailable()) {
                try {
                    $xml = $this->bus->call($this->destination, $this->path, self::INTROSPECTABLE, 'Introspect', [], '', $this->callOptions());
                    $this->introspection = Introspection::parse((string) $xml[0]);
                } catch (DBusException $e) {
                    // Not introspectable (or not reachable: the call itself will say so).
                } catch (InvalidArgumentException $e) {
                    // Malformed XML: carry on without it.
                }
            }
        }
        return $this->introspection !== false;
    }

    private function explainUnknownMethod(UnknownMethodException $e, string $name): UnknownMethodException
    {
        if (!$this->introspection()) {
            return $e;
        }
        $known = $this->introspection->methodNames($this->interface);
        return new UnknownMethodException(
            $e->getErrorName(),
            sprintf(
                '%s (%s at %s has no method "%s"; its methods are: %s)',
                $e->getMessage(),
                $this->destination,
                $this->path,
                $name,
                $known === [] ? 'none' : implode(', ', $known)
            ),
            $e->getCode(),
            $e
        );
    }
}
