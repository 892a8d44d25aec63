<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\InvalidArgumentException;

/**
 * A peer object's introspection data (org.freedesktop.DBus.Introspectable.Introspect), parsed
 * with SimpleXML: interfaces with their methods (in and out signatures) and properties (type,
 * access). Proxies use it to send exact signatures and property types. Without ext-simplexml, or
 * when the peer does not introspect, proxies fall back to what the library does without a
 * signature.
 *
 * @internal
 */
final class Introspection
{
    /**
     * @var array<string, array{
     *     methods: array<string, array{in: string, out: string}>,
     *     properties: array<string, array{type: string, access: string}>
     * }>
     */
    private $interfaces = [];

    public static function isAvailable(): bool
    {
        return extension_loaded('simplexml');
    }

    /**
     * @throws InvalidArgumentException when the text is not introspection XML
     */
    public static function parse(string $xml): self
    {
        $previous = libxml_use_internal_errors(true);
        try {
            $root = simplexml_load_string($xml, \SimpleXMLElement::class, LIBXML_NONET);
            $errors = libxml_get_errors();
            libxml_clear_errors();
        } finally {
            libxml_use_internal_errors($previous);
        }
        if ($root === false || $root->getName() !== 'node') {
            $why = isset($errors[0]) ? trim($errors[0]->message) : 'the root element is not <node>';
            throw new InvalidArgumentException('Malformed introspection XML: ' . $why, 'net.skypebus.Error.InvalidMessage', Errors::INVALID_MESSAGE);
        }
        $data = new self();
        foreach ($root->interface as $interface) {
            $methods = [];
            foreach ($interface->method as $method) {
                $in = '';
                $out = '';
                foreach ($method->arg as $arg) {
                    if ((string) $arg['direction'] === 'out') {
                        $out .= (string) $arg['type'];
                    } else {
                        $in .= (string) $arg['type'];
                    }
                }
                $methods[(string) $method['name']] = ['in' => $in, 'out' => $out];
            }
            $properties = [];
            foreach ($interface->property as $property) {
                $properties[(string) $property['name']] = [
                    'type' => (string) $property['type'],
                    'access' => (string) $property['access'],
                ];
            }
            $data->interfaces[(string) $interface['name']] = ['methods' => $methods, 'properties' => $properties];
        }
        return $data;
    }

    /**
     * @return list<string>
     */
    public function interfaceNames(): array
    {
        return array_keys($this->interfaces);
    }

    /**
     * The interface and signatures of a method: in the given interface, or, with none given, in
     * the one interface that has it. Null when no interface has it.
     *
     * @return array{interface: string, in: string, out: string}|null
     * @throws InvalidArgumentException when several interfaces have it and none was given
     */
    public function findMethod(string $name, ?string $interface): ?array
    {
        $found = $this->find('methods', $name, $interface);
        return $found === null ? null : ['interface' => $found[0], 'in' => $found[1]['in'], 'out' => $found[1]['out']];
    }

    /**
     * The interface, type and access of a property, found as findMethod() finds methods.
     *
     * @return array{interface: string, type: string, access: string}|null
     */
    public function findProperty(string $name, ?string $interface): ?array
    {
        $found = $this->find('properties', $name, $interface);
        return $found === null ? null : ['interface' => $found[0], 'type' => $found[1]['type'], 'access' => $found[1]['access']];
    }

    /**
     * "Interface.Member" of every method, for messages.
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
     * @return array{0: string, 1: array<string, string>}|null
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
                    $kind === 'methods' ? 'method' : 'property',
                    implode(', ', array_keys($matches))
                ),
                'net.skypebus.Error.InvalidRequest',
                Errors::INVALID_REQUEST
            );
        }
        foreach ($matches as $interfaceName => $member) {
            return [$interfaceName, $member];
        }
        return null;
    }
}
