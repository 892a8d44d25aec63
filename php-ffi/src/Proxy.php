<?php

declare(strict_types=1);

namespace SkypeBus;

use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\UnknownMethodException;
use SkypeBus\Internal\Errors;
use SkypeBus\Internal\Introspection;

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
 * Arguments and property values are plain PHP values: the library types them from the peer's
 * introspection data (cached per peer and interface), so 7 passed for a "u" argument or set on a
 * "u" property is sent as "u". What introspection cannot know, the contents of a variant, is what
 * typed values are for (new Byte(2) above).
 *
 * A proxy given no interface reads the object's introspection data once, on first use, to find
 * each member's interface (name the interface to save that round trip). A method the peer does
 * not have gives an UnknownMethodException that lists the methods it has.
 *
 * The proxy has no methods or properties of its own, so no remote name is ever shadowed.
 */
final class Proxy
{
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
        try {
            $values = $this->bus->call($this->destination, $this->path, $this->methodInterface($name), $name, $args, null, $this->options);
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
        return $this->bus->getProperty($this->destination, $this->path, $this->propertyInterface($name), $name, $this->propertyOptions());
    }

    /**
     * Sets the remote property $name; a plain PHP value is sent as the property's declared type.
     *
     * @param mixed $value
     */
    public function __set(string $name, $value): void
    {
        $this->bus->setProperty($this->destination, $this->path, $this->propertyInterface($name), $name, $value, null, $this->propertyOptions());
    }

    /** True when the object has the property (by its introspection data, else by reading it). */
    public function __isset(string $name): bool
    {
        $introspection = $this->introspection();
        if ($introspection !== null) {
            return $introspection->findProperty($name, $this->interface) !== null;
        }
        try {
            $this->__get($name);
            return true;
        } catch (DBusException $e) {
            return false;
        } catch (InvalidArgumentException $e) {
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
     * The interface of a method: the proxy's, else the one the introspection data names (many
     * peers, GDBus ones among them, refuse calls without an interface), else none.
     */
    private function methodInterface(string $name): ?string
    {
        if ($this->interface !== null) {
            return $this->interface;
        }
        $introspection = $this->introspection();
        return $introspection !== null ? $introspection->methodInterface($name) : null;
    }

    /**
     * The interface of a property: the proxy's, else the one the introspection data names.
     *
     * @throws InvalidArgumentException when neither says
     */
    private function propertyInterface(string $name): string
    {
        if ($this->interface !== null) {
            return $this->interface;
        }
        $introspection = $this->introspection();
        $found = $introspection !== null ? $introspection->findProperty($name, null) : null;
        if ($found === null) {
            throw new InvalidArgumentException(
                sprintf(
                    '%s at %s %s no property "%s": name its interface in Bus::proxy()',
                    $this->destination,
                    $this->path,
                    $introspection !== null ? 'declares' : 'gives no introspection data, so it declares',
                    $name
                ),
                'net.skypebus.Error.InvalidRequest',
                Errors::INVALID_REQUEST
            );
        }
        return $found['interface'];
    }

    /**
     * Property requests take the proxy's options but 'noReply', which would lose the value.
     *
     * @return array<string, mixed>
     */
    private function propertyOptions(): array
    {
        $options = $this->options;
        unset($options['noReply']);
        return $options;
    }

    /** The object's introspection data, read once; null when the peer gives none. */
    private function introspection(): ?Introspection
    {
        if ($this->introspection === null) {
            $this->introspection = false;
            $options = $this->propertyOptions();
            unset($options['variants']);
            try {
                $this->introspection = new Introspection($this->bus->introspect($this->destination, $this->path, $options));
            } catch (DBusException $e) {
                // Not introspectable, or not reachable: the calls themselves will say so.
            }
        }
        return $this->introspection === false ? null : $this->introspection;
    }

    private function explainUnknownMethod(UnknownMethodException $e, string $name): UnknownMethodException
    {
        $introspection = $this->introspection();
        if ($introspection === null) {
            return $e;
        }
        $known = $introspection->methodNames($this->interface);
        return new UnknownMethodException(
            $e->getErrorName(),
            sprintf(
                '%s (%s at %s has no method "%s"%s; its methods are: %s)',
                $e->getMessage(),
                $this->destination,
                $this->path,
                $name,
                $this->interface !== null ? ' in ' . $this->interface : '',
                $known === [] ? 'none' : implode(', ', $known)
            ),
            $e->getCode(),
            $e
        );
    }
}
