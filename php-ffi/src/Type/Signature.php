<?php

declare(strict_types=1);

namespace SkypeBus\Type;

use SkypeBus\Internal\Signature as SignatureParser;

/**
 * D-Bus "g": a type signature as a value, such as "a{sv}". It may hold several complete types
 * ("si") or none ("").
 */
final class Signature implements TypedValue
{
    /** @var string */
    private $signature;

    public function __construct(string $signature)
    {
        SignatureParser::split($signature);
        $this->signature = $signature;
    }

    public function getSignature(): string
    {
        return 'g';
    }

    public function getValue(): string
    {
        return $this->signature;
    }

    public function __toString(): string
    {
        return $this->signature;
    }

    /**
     * @return array{type: string, data: string}
     */
    public function jsonSerialize(): array
    {
        return ['type' => 'g', 'data' => $this->signature];
    }
}
