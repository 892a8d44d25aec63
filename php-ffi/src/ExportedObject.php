<?php

declare(strict_types=1);

namespace SkypeBus;

/**
 * An object exported by Bus::export(): its path, its properties (held by the library, which
 * answers Properties.Get and GetAll from them, also while PHP is busy), and unexport().
 */
final class ExportedObject
{
    /** @var Bus */
    private $bus;

    /** @var string */
    private $path;

    /**
     * @internal made by Bus::export()
     */
    public function __construct(Bus $bus, string $path)
    {
        $this->bus = $bus;
        $this->path = $path;
    }

    public function getPath(): string
    {
        return $this->path;
    }

    /**
     * Stores a property value, typed by the property's declared type (read-only properties
     * too). When the value changed, the library emits
     * org.freedesktop.DBus.Properties.PropertiesChanged as the property's EmitsChangedSignal
     * annotation says.
     *
     * @param mixed $value
     * @throws Exception\SkypeBusException
     */
    public function setProperty(string $interface, string $name, $value): void
    {
        $this->bus->setExportedProperty($this->path, $interface, $name, $value);
    }

    /** Stops exporting the object (Bus::unexport()). */
    public function unexport(): void
    {
        $this->bus->unexport($this->path);
    }

    /** True until unexported or the Bus is closed. */
    public function isExported(): bool
    {
        return $this->bus->isExported($this->path);
    }
}
