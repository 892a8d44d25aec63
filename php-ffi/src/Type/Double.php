<?php

declare(strict_types=1);

namespace SkypeBus\Type;

use SkypeBus\Internal\RequestEncoder;

/**
 * D-Bus "d": an IEEE 754 double. NAN, INF and -INF are sendable (as the strings "NaN",
 * "Infinity" and "-Infinity" of the JSON mapping), and -0.0 keeps its sign.
 */
final class Double implements TypedValue
{
    /** @var float */
    private $value;

    public function __construct(float $value)
    {
        $this->value = $value;
    }

    public function getSignature(): string
    {
        return 'd';
    }

    public function getValue(): float
    {
        return $this->value;
    }

    /**
     * @return array{type: string, data: float|string}
     */
    public function jsonSerialize(): array
    {
        return ['type' => 'd', 'data' => RequestEncoder::doubleToJson($this->value)];
    }
}
