<?php

declare(strict_types=1);

namespace SkypeBus;

/**
 * One change of a bus name's owner, given to the handler of Bus::watchName(): the name gained
 * an owner (old owner null), changed owner, or lost its owner (new owner null).
 */
final class NameOwnerChange
{
    /** @var string */
    private $name;

    /** @var string|null */
    private $oldOwner;

    /** @var string|null */
    private $newOwner;

    public function __construct(string $name, ?string $oldOwner, ?string $newOwner)
    {
        $this->name = $name;
        $this->oldOwner = $oldOwner;
        $this->newOwner = $newOwner;
    }

    /**
     * @internal the change a NameOwnerChanged signal of the bus driver tells
     */
    public static function fromSignal(Signal $signal): self
    {
        $args = $signal->getArgs();
        $owner = static function ($value): ?string {
            return is_string($value) && $value !== '' ? $value : null;
        };
        return new self((string) ($args[0] ?? ''), $owner($args[1] ?? null), $owner($args[2] ?? null));
    }

    /** The watched name. */
    public function getName(): string
    {
        return $this->name;
    }

    /** The unique name of the owner before the change; null when the name had none. */
    public function getOldOwner(): ?string
    {
        return $this->oldOwner;
    }

    /** The unique name of the owner after the change; null when the name has none now. */
    public function getNewOwner(): ?string
    {
        return $this->newOwner;
    }

    /** True when the name has an owner after the change. */
    public function hasOwner(): bool
    {
        return $this->newOwner !== null;
    }
}
