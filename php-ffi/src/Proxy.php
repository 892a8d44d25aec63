<?php

declare(strict_types=1);

namespace SkypeBus;

use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\UnknownMethodException;
use SkypeBus\Internal\CallOptions;
use SkypeBus\Internal\Calls;
use SkypeBus\Internal\CallTarget;
use SkypeBus\Internal\Errors;
use SkypeBus\Internal\Introspection;
use SkypeBus\Internal\PropertyTarget;

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
    /** Most call and property targets a proxy keeps (one per member name used). */
    private const TARGETS = 256;

    /** @var Bus kept so that the connection lives as long as the proxy */
    private $bus;

    /** @var Calls */
    private $calls;

    /** @var string */
    private $destination;

    /** @var string */
    private $path;

    /** @var string|null */
    private $interface;

    /** @var CallOptions the options of every method call */
    private $options;

    /** @var CallOptions the same for property requests, without 'noReply' (which would lose the value) */
    private $propertyOptions;

    /** @var array<string, CallTarget> method name => its target, made on first use */
    private $targets = [];

    /** @var array<string, PropertyTarget> property name => its target, made on first use */
    private $properties = [];

    /** @var Introspection|false|null the data, false when unavailable, null before the first look */
    private $introspection;

    /**
     * Use Bus::proxy().
     *
     * @internal
     */
    public function __construct(Bus $bus, Calls $calls, string $destination, string $path, ?string $interface, CallOptions $options)
    {
        $this->bus = $bus;
        $this->calls = $calls;
        $this->destination = $destination;
        $this->path = $path;
        $this->interface = $interface;
        $this->options = $options;
        $this->propertyOptions = $options->withReply();
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
            $values = $this->calls->call($this->targets[$name] ?? $this->callTarget($name), $args, $this->options);
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
        return $this->calls->getProperty($this->properties[$name] ?? $this->propertyTarget($name), $this->propertyOptions);
    }

    /**
     * Sets the remote property $name; a plain PHP value is sent as the property's declared type.
     *
     * @param mixed $value
     */
    public function __set(string $name, $value): void
    {
        $this->calls->setProperty($this->properties[$name] ?? $this->propertyTarget($name), $value, null, $this->propertyOptions);
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

    /** The target of the method $name, made once. */
    private function callTarget(string $name): CallTarget
    {
        if (count($this->targets) >= self::TARGETS) {
            $this->targets = [];
        }
        return $this->targets[$name] = new CallTarget($this->destination, $this->path, $this->methodInterface($name), $name, null);
    }

    /** The target of the property $name, made once. */
    private function propertyTarget(string $name): PropertyTarget
    {
        $interface = $this->propertyInterface($name);
        if (count($this->properties) >= self::TARGETS) {
            $this->properties = [];
        }
        return $this->properties[$name] = new PropertyTarget($this->destination, $this->path, $interface, $name);
    }

    /** The object's introspection data, read once; null when the peer gives none. */
    private function introspection(): ?Introspection
    {
        if ($this->introspection === null) {
            $this->introspection = false;
            try {
                $this->introspection = new Introspection($this->calls->introspect($this->destination, $this->path, $this->options->timeoutMs));
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
