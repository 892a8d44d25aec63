<?php

declare(strict_types=1);

namespace SkypeBus\Testing;

use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Internal\Errors;
use SkypeBus\Internal\Values;
use SkypeBus\ProxyInterface;

/**
 * The proxy of a FakeBus: methods and properties go to the FakeBus's scripted replies and
 * property values, and are recorded there. Returns what Proxy returns: null for no reply
 * value, the value for one, the list for several.
 */
final class FakeProxy implements ProxyInterface
{
    /** @var FakeBus */
    private $bus;

    /** @var string */
    private $destination;

    /** @var string */
    private $path;

    /** @var string|null */
    private $interface;

    /** @var array<string, mixed> */
    private $options;

    /** @var array<string, string> */
    private $signatures;

    /**
     * @internal made by FakeBus::proxy()
     * @param array<string, mixed> $options
     * @param array<string, string> $signatures
     */
    public function __construct(FakeBus $bus, string $destination, string $path, ?string $interface, array $options, array $signatures)
    {
        $this->bus = $bus;
        $this->destination = $destination;
        $this->path = $path;
        $this->interface = $interface;
        $this->options = $options;
        $this->signatures = $signatures;
    }

    /**
     * @param array<int|string, mixed> $args
     * @return mixed
     * @throws DBusException|InvalidArgumentException
     */
    public function __call(string $name, array $args)
    {
        if ($args !== [] && is_string(array_key_last($args))) {
            throw Errors::invalid(sprintf(
                'named arguments need the peer\'s introspection data to know their order, and a FakeProxy has none: pass the arguments of %s() in order',
                $name
            ));
        }
        $values = $this->bus->call($this->destination, $this->path, $this->interface, $name, $args, $this->signatures[$name] ?? null, $this->options);
        return Values::proxyResult($values);
    }

    /** @return mixed */
    public function __get(string $name)
    {
        return $this->bus->getProperty($this->destination, $this->path, $this->interface(), $name);
    }

    /** @param mixed $value */
    public function __set(string $name, $value): void
    {
        $this->bus->setProperty($this->destination, $this->path, $this->interface(), $name, $value);
    }

    public function __isset(string $name): bool
    {
        try {
            $this->__get($name);
            return true;
        } catch (DBusException $e) {
            return false;
        }
    }

    private function interface(): string
    {
        if ($this->interface === null) {
            throw Errors::invalid('A FakeProxy without an interface has no properties: name the interface in proxy()');
        }
        return $this->interface;
    }
}
