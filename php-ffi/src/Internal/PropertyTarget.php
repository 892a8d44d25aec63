<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

/**
 * What a property request goes to: destination, object path, interface, and the property's name
 * (null for GetAll). A Proxy keeps one per property.
 *
 * @internal
 */
final class PropertyTarget
{
    /** @var string a bus name; '' for none */
    public $destination;

    /** @var string */
    public $path;

    /** @var string */
    public $interface;

    /** @var string|null null for all properties of the interface */
    public $name;

    public function __construct(string $destination, string $path, string $interface, ?string $name)
    {
        $this->destination = $destination;
        $this->path = $path;
        $this->interface = $interface;
        $this->name = $name;
    }
}
