<?php

declare(strict_types=1);

namespace SkypeBus\Type;

use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Internal\ResultCode;

/**
 * D-Bus "o": an object path such as "/org/freedesktop/NetworkManager".
 */
final class ObjectPath implements TypedValue
{
    /** @var string */
    private $path;

    public function __construct(string $path)
    {
        if (!self::isValid($path)) {
            throw new InvalidArgumentException(
                sprintf('"%s" is not a valid D-Bus object path', $path),
                'net.skypebus.Error.InvalidName',
                ResultCode::INVALID_NAME
            );
        }
        $this->path = $path;
    }

    /** True for "/" and for "/" followed by elements of [A-Za-z0-9_] separated by single slashes. */
    public static function isValid(string $path): bool
    {
        return $path === '/' || preg_match('#^(/[A-Za-z0-9_]+)+$#D', $path) === 1;
    }

    public function getSignature(): string
    {
        return 'o';
    }

    public function getValue(): string
    {
        return $this->path;
    }

    public function __toString(): string
    {
        return $this->path;
    }

    /**
     * @return array{type: string, data: string}
     */
    public function jsonSerialize(): array
    {
        return ['type' => 'o', 'data' => $this->path];
    }
}
