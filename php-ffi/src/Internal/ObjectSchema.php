<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;

/**
 * What an exported object's introspection XML declares, as the library parsed it: the schema
 * skypebus_export_schema returns (docs/introspection.md), the same the library serves. Its
 * interfaces (the standard Peer, Introspectable and Properties interfaces left out, the library
 * answers them), their methods with in and out argument types, and their properties with type
 * and access. Names are kept exactly as written.
 *
 * Also binds the declared methods to the PHP methods of a handler, by exact name.
 *
 * Pure PHP: fromJson() reads the decoded JSON; Native::exportSchema() gets it from the library.
 *
 * @internal
 */
final class ObjectSchema
{
    /** @var array<string, array<string, array{in: list<string>, out: list<string>}>> interface => method => types */
    private $methods = [];

    /** @var array<string, array<string, array{type: string, access: string}>> interface => property => declaration */
    private $properties = [];

    /**
     * The schema of skypebus_export_schema's JSON, decoded ({"interfaces": [...]}).
     *
     * @param mixed $json
     * @throws DBusException when it is not that shape
     */
    public static function fromJson($json): self
    {
        if (!is_array($json) || !isset($json['interfaces']) || !is_array($json['interfaces'])) {
            throw self::malformed('it has no "interfaces" list');
        }
        $schema = new self();
        foreach ($json['interfaces'] as $interface) {
            $name = self::name($interface);
            $schema->methods[$name] = [];
            $schema->properties[$name] = [];
            foreach (self::members($interface, 'methods') as $method) {
                $schema->methods[$name][self::name($method)] = [
                    'in' => self::types($method, 'in'),
                    'out' => self::types($method, 'out'),
                ];
            }
            foreach (self::members($interface, 'properties') as $property) {
                $schema->properties[$name][self::name($property)] = [
                    'type' => (string) ($property['type'] ?? ''),
                    'access' => (string) ($property['access'] ?? ''),
                ];
            }
        }
        return $schema;
    }

    /**
     * Refuses XML whose root element is not <node>, which the library's parser lets through
     * (it reads the interfaces of any root). Only the name of the first element is looked at,
     * after the prolog (XML declaration, comments, processing instructions, DOCTYPE); XML that
     * is not well-formed is left to the library, which says where.
     *
     * @throws InvalidArgumentException
     */
    public static function assertNodeRoot(string $xml): void
    {
        $prolog = '/^\s*(?:(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)\s*)*<([^\s\/>!?]+)(?=[\s\/>])/s';
        if (preg_match($prolog, $xml, $match) === 1 && $match[1] !== 'node') {
            throw new InvalidArgumentException(sprintf('The introspection XML must be a <node> document, not <%s>', $match[1]));
        }
    }

    /**
     * @param mixed $item
     * @throws DBusException
     */
    private static function name($item): string
    {
        if (!is_array($item) || !isset($item['name']) || !is_string($item['name'])) {
            throw self::malformed('an interface, method or property has no name');
        }
        return $item['name'];
    }

    /**
     * @param array<string, mixed> $item
     * @return list<array<string, mixed>>
     * @throws DBusException
     */
    private static function members(array $item, string $key): array
    {
        $members = $item[$key] ?? [];
        if (!is_array($members)) {
            throw self::malformed(sprintf('"%s" is not a list', $key));
        }
        return array_values($members);
    }

    /**
     * The complete types of a method's "in" or "out" arguments.
     *
     * @param array<string, mixed> $method
     * @return list<string>
     * @throws DBusException
     */
    private static function types(array $method, string $key): array
    {
        $types = [];
        foreach (self::members($method, $key) as $arg) {
            if (!is_array($arg) || !isset($arg['type']) || !is_string($arg['type'])) {
                throw self::malformed('an argument has no type');
            }
            $types[] = $arg['type'];
        }
        return $types;
    }

    private static function malformed(string $why): DBusException
    {
        return new DBusException('net.skypebus.Error.InvalidMessage', 'Malformed export schema from the library: ' . $why, ResultCode::INVALID_MESSAGE);
    }

    /**
     * The declared interfaces (standard ones left out), in XML order.
     *
     * @return list<string>
     */
    public function interfaces(): array
    {
        return array_keys($this->methods);
    }

    /**
     * The declared methods of an interface, as name => ['in' => types, 'out' => types].
     *
     * @return array<string, array{in: list<string>, out: list<string>}>
     */
    public function methods(string $interface): array
    {
        return $this->methods[$interface] ?? [];
    }

    /**
     * The complete types of a method's out arguments; null when the method is not declared.
     *
     * @return list<string>|null
     */
    public function outTypes(string $interface, string $method): ?array
    {
        return $this->methods[$interface][$method]['out'] ?? null;
    }

    /** The declared type of a property; null when it is not declared. */
    public function propertyType(string $interface, string $name): ?string
    {
        return $this->properties[$interface][$name]['type'] ?? null;
    }

    /**
     * The PHP method of $handler that answers each declared method, as
     * interface => member => PHP method name. A declared member is answered by the public,
     * non-magic method whose name is exactly the member's (PHP looks methods up without regard
     * to case; D-Bus does not), else by the handler's __call(); otherwise the handler cannot
     * serve the XML and this throws, naming what is missing.
     *
     * @return array<string, array<string, string>> the PHP method name, or "__call"
     * @throws InvalidArgumentException
     */
    public function bind(object $handler): array
    {
        $class = new \ReflectionClass($handler);
        $exact = [];
        foreach ($class->getMethods(\ReflectionMethod::IS_PUBLIC) as $method) {
            if (strncmp($method->getName(), '__', 2) !== 0) {
                $exact[$method->getName()] = true;
            }
        }
        $hasCall = $class->hasMethod('__call') && $class->getMethod('__call')->isPublic();
        $bound = [];
        $missing = [];
        foreach ($this->methods as $interface => $methods) {
            $bound[$interface] = [];
            foreach ($methods as $member => $unused) {
                if (isset($exact[$member])) {
                    $bound[$interface][$member] = $member;
                } elseif ($hasCall) {
                    $bound[$interface][$member] = '__call';
                } else {
                    $missing[] = $this->describeMissing($class, $interface, $member, $exact);
                }
            }
        }
        if ($missing !== []) {
            throw new InvalidArgumentException(sprintf(
                '%s cannot answer the methods the introspection XML declares: %s',
                $class->getName(),
                implode('; ', $missing)
            ));
        }
        return $bound;
    }

    /**
     * @param array<string, true> $exact
     */
    private function describeMissing(\ReflectionClass $class, string $interface, string $member, array $exact): string
    {
        foreach ($exact as $name => $unused) {
            if (strcasecmp($name, $member) === 0) {
                return sprintf(
                    '%s.%s (the method %s() differs in case; D-Bus names are matched exactly)',
                    $interface,
                    $member,
                    $name
                );
            }
        }
        return sprintf('%s.%s (no public method %s::%s())', $interface, $member, $class->getShortName(), $member);
    }
}
