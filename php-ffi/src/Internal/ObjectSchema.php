<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\InvalidArgumentException;

/**
 * What an exported object's introspection XML declares, read the way the library reads it
 * (src/serve.rs): the interfaces that are direct children of the root <node> (nested nodes are
 * ignored; the standard Peer, Introspectable and Properties interfaces are skipped, the library
 * answers them), their methods with in and out argument types (an argument without direction
 * is "in"), and their properties with type and access. Names are kept exactly as written.
 *
 * Also binds the declared methods to the PHP methods of a handler, by exact name.
 *
 * Pure PHP (SimpleXML); no FFI.
 *
 * @internal
 */
final class ObjectSchema
{
    public const STANDARD_INTERFACES = [
        'org.freedesktop.DBus.Peer',
        'org.freedesktop.DBus.Introspectable',
        'org.freedesktop.DBus.Properties',
    ];

    /** @var array<string, array<string, array{in: list<string>, out: list<string>}>> interface => method => types */
    private $methods = [];

    /** @var array<string, array<string, array{type: string, access: string}>> interface => property => declaration */
    private $properties = [];

    /**
     * @throws InvalidArgumentException when the text is not a <node> document
     */
    public static function parse(string $xml): self
    {
        if (!function_exists('simplexml_load_string')) {
            throw new InvalidArgumentException(
                'Bus::export() reads the introspection XML with PHP\'s SimpleXML extension, which is not '
                . 'loaded (Debian and Ubuntu: apt-get install php' . PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION . '-xml)'
            );
        }
        $previous = libxml_use_internal_errors(true);
        try {
            $node = simplexml_load_string($xml, \SimpleXMLElement::class, LIBXML_NONET);
            $errors = libxml_get_errors();
            libxml_clear_errors();
        } finally {
            libxml_use_internal_errors($previous);
        }
        if ($node === false) {
            $first = $errors[0] ?? null;
            throw new InvalidArgumentException(
                'The introspection XML is not well-formed' . ($first !== null ? sprintf(
                    ' (line %d: %s)',
                    $first->line,
                    trim($first->message)
                ) : '')
            );
        }
        if ($node->getName() !== 'node') {
            throw new InvalidArgumentException(sprintf(
                'The introspection XML must be a <node> document, not <%s>',
                $node->getName()
            ));
        }
        $schema = new self();
        foreach ($node->interface as $interface) {
            $name = (string) $interface['name'];
            if (in_array($name, self::STANDARD_INTERFACES, true)) {
                continue;
            }
            $schema->methods[$name] = [];
            $schema->properties[$name] = [];
            foreach ($interface->method as $method) {
                $in = [];
                $out = [];
                foreach ($method->arg as $arg) {
                    if ((string) $arg['direction'] === 'out') {
                        $out[] = (string) $arg['type'];
                    } else {
                        $in[] = (string) $arg['type'];
                    }
                }
                $schema->methods[$name][(string) $method['name']] = ['in' => $in, 'out' => $out];
            }
            foreach ($interface->property as $property) {
                $schema->properties[$name][(string) $property['name']] = [
                    'type' => (string) $property['type'],
                    'access' => (string) $property['access'],
                ];
            }
        }
        return $schema;
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
