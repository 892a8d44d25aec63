<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\InvalidArgumentException;

/**
 * Lookups in an object's introspection data, as Bus::introspect() returns it (the library's
 * skypebus_introspect schema, docs/introspection.md): which interface has a method or a
 * property, what type a property has, which methods there are. Pure PHP.
 *
 * @internal
 */
final class Introspection
{
    /**
     * @var array<string, array{methods: array<string, array<string, mixed>>, properties: array<string, array<string, mixed>>, signals: array<string, array<string, mixed>>}>
     */
    private $interfaces = [];

    /**
     * @param array<string, mixed> $data
     */
    public function __construct(array $data)
    {
        foreach ($data['interfaces'] ?? [] as $interface) {
            $methods = [];
            foreach ($interface['methods'] ?? [] as $method) {
                $methods[(string) $method['name']] = $method;
            }
            $properties = [];
            foreach ($interface['properties'] ?? [] as $property) {
                $properties[(string) $property['name']] = $property;
            }
            $signals = [];
            foreach ($interface['signals'] ?? [] as $signal) {
                $signals[(string) $signal['name']] = $signal;
            }
            $this->interfaces[(string) $interface['name']] = ['methods' => $methods, 'properties' => $properties, 'signals' => $signals];
        }
    }

    /**
     * The interface of a method: the one interface that has it. Null when none has it.
     *
     * @throws InvalidArgumentException when several interfaces have it
     */
    public function methodInterface(string $name): ?string
    {
        $found = $this->find('methods', $name, null);
        return $found === null ? null : $found[0];
    }

    /**
     * The interface of a signal: the one interface that has it. Null when none has it.
     *
     * @throws InvalidArgumentException when several interfaces have it
     */
    public function signalInterface(string $name): ?string
    {
        $found = $this->find('signals', $name, null);
        return $found === null ? null : $found[0];
    }

    /**
     * A property's interface, type and access: in the given interface, or, with none given, in
     * the one interface that has it. Null when no interface has it.
     *
     * @return array{interface: string, type: string, access: string}|null
     * @throws InvalidArgumentException when several interfaces have it and none was given
     */
    public function findProperty(string $name, ?string $interface): ?array
    {
        $found = $this->find('properties', $name, $interface);
        return $found === null ? null : [
            'interface' => $found[0],
            'type' => (string) ($found[1]['type'] ?? ''),
            'access' => (string) ($found[1]['access'] ?? ''),
        ];
    }

    /**
     * The method $name (in $interface, else in the one interface that has it): its interface and
     * its in-arguments, names null where the XML gives none.
     *
     * @return array{interface: string, in: list<array{name: string|null, type: string}>}|null
     * @throws InvalidArgumentException when several interfaces have it and none is named
     */
    public function method(string $name, ?string $interface): ?array
    {
        $found = $this->find('methods', $name, $interface);
        if ($found === null) {
            return null;
        }
        $in = [];
        foreach ($found[1]['in'] ?? [] as $arg) {
            $in[] = ['name' => isset($arg['name']) ? (string) $arg['name'] : null, 'type' => (string) ($arg['type'] ?? '')];
        }
        return ['interface' => $found[0], 'in' => $in];
    }

    /**
     * "Interface.Member" of every method (of one interface, or of all), for messages.
     *
     * @return list<string>
     */
    public function methodNames(?string $interface): array
    {
        $names = [];
        foreach ($this->interfaces as $name => $members) {
            if ($interface === null || $interface === $name) {
                foreach (array_keys($members['methods']) as $method) {
                    $names[] = $name . '.' . $method;
                }
            }
        }
        return $names;
    }

    /**
     * @return array{0: string, 1: array<string, mixed>}|null
     */
    private function find(string $kind, string $name, ?string $interface): ?array
    {
        if ($interface !== null) {
            $member = $this->interfaces[$interface][$kind][$name] ?? null;
            return $member === null ? null : [$interface, $member];
        }
        $matches = [];
        foreach ($this->interfaces as $interfaceName => $members) {
            if (isset($members[$kind][$name])) {
                $matches[$interfaceName] = $members[$kind][$name];
            }
        }
        if (count($matches) > 1) {
            throw new InvalidArgumentException(
                sprintf(
                    '"%s" is a %s of several interfaces (%s): name the interface in Bus::proxy()',
                    $name,
                    ['methods' => 'method', 'properties' => 'property', 'signals' => 'signal'][$kind],
                    implode(', ', array_keys($matches))
                ),
                'net.skypebus.Error.InvalidRequest',
                ResultCode::INVALID_REQUEST
            );
        }
        foreach ($matches as $interfaceName => $member) {
            return [$interfaceName, $member];
        }
        return null;
    }
}
