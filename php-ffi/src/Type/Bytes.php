<?php

declare(strict_types=1);

namespace SkypeBus\Type;

/**
 * D-Bus "ay" from a PHP binary string: every byte is kept, NUL and invalid UTF-8 included. It
 * travels base64-encoded, which json_encode alone could not do with a binary string.
 *
 * Replies give "ay" back as a plain PHP binary string.
 */
final class Bytes implements TypedValue
{
    /** @var string */
    private $bytes;

    public function __construct(string $bytes)
    {
        $this->bytes = $bytes;
    }

    public function getSignature(): string
    {
        return 'ay';
    }

    public function getValue(): string
    {
        return $this->bytes;
    }

    public function __toString(): string
    {
        return $this->bytes;
    }

    /**
     * @return array{type: string, data: string}
     */
    public function jsonSerialize(): array
    {
        return ['type' => 'ay', 'data' => base64_encode($this->bytes)];
    }
}
