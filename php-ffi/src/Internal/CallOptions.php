<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\InvalidArgumentException;

/**
 * The checked $options of Bus::call(): 'timeout' (seconds, int or float > 0), 'variants'
 * ('typed' or 'plain'), 'noReply', 'noAutoStart', 'allowInteractiveAuthorization' (bools; the
 * last two are header flags: the bus must not start the destination through service activation;
 * the caller can wait while the service asks the user for authorization). Any other key is an
 * error. A value object, made once
 * per set of options where it can be (defaults(), a Proxy's options) and only read afterwards,
 * but for the JSON text RequestEncoder keeps on it.
 *
 * @internal
 */
final class CallOptions
{
    public const KNOWN = ['timeout', 'variants', 'noReply', 'noAutoStart', 'allowInteractiveAuthorization'];

    /** @var int|null timeout in milliseconds; null for the connection default (25 s) */
    public $timeoutMs;

    /** @var bool return variants as Variant objects */
    public $typedVariants = false;

    /** @var bool send without expecting a reply */
    public $noReply = false;

    /** @var bool the NO_AUTO_START header flag */
    public $noAutoStart = false;

    /** @var bool the ALLOW_INTERACTIVE_AUTHORIZATION header flag */
    public $allowInteractiveAuthorization = false;

    /**
     * @var string|null the JSON keys that follow a call's arguments when "ay" goes as base64,
     *                  kept here by RequestEncoder
     */
    public $tailBase64;

    /** @var string|null the same when "ay" cannot go as base64 */
    public $tailPlain;

    /** @var self|null defaults() once made; Bus::call() reads it without a call */
    public static $defaults;

    /**
     * The options of a call that gives none. The same object every time: callers only read it.
     */
    public static function defaults(): self
    {
        return self::$defaults ?? (self::$defaults = new self());
    }

    /**
     * @param array<string, mixed> $options
     * @throws InvalidArgumentException
     */
    public static function fromArray(array $options): self
    {
        $checked = new self();
        foreach ($options as $key => $value) {
            // (string): PHP 7 compares 0 == 'timeout' as true.
            switch ((string) $key) {
                case 'timeout':
                    $checked->timeoutMs = self::timeoutMs($value);
                    break;
                case 'variants':
                    if ($value !== 'typed' && $value !== 'plain') {
                        throw self::invalid(sprintf(
                            'The option "variants" must be "typed" or "plain", %s given',
                            self::show($value)
                        ));
                    }
                    $checked->typedVariants = $value === 'typed';
                    break;
                case 'noReply':
                case 'noAutoStart':
                case 'allowInteractiveAuthorization':
                    if (!is_bool($value)) {
                        throw self::invalid(sprintf('The option "%s" must be a bool, %s given', $key, self::show($value)));
                    }
                    $checked->{(string) $key} = $value;
                    break;
                default:
                    throw self::invalid(sprintf(
                        'Unknown call option "%s"; the options are: %s',
                        $key,
                        implode(', ', self::KNOWN)
                    ));
            }
        }
        return $checked;
    }

    /** These options for a request that must be answered: without 'noReply'. */
    public function withReply(): self
    {
        if (!$this->noReply) {
            return $this;
        }
        $options = new self();
        $options->timeoutMs = $this->timeoutMs;
        $options->typedVariants = $this->typedVariants;
        $options->noAutoStart = $this->noAutoStart;
        $options->allowInteractiveAuthorization = $this->allowInteractiveAuthorization;
        return $options;
    }

    /** These options with a shorter timeout (what is left of a deadline). */
    public function withTimeoutMs(int $milliseconds): self
    {
        $options = clone $this;
        $options->timeoutMs = $milliseconds;
        $options->tailBase64 = null;
        $options->tailPlain = null;
        return $options;
    }

    /**
     * @param mixed $seconds
     */
    private static function timeoutMs($seconds): ?int
    {
        if ($seconds === null) {
            return null;
        }
        if ((!is_int($seconds) && !is_float($seconds)) || !is_finite((float) $seconds) || $seconds <= 0) {
            throw self::invalid(sprintf(
                'The option "timeout" must be a number of seconds greater than 0, %s given',
                self::show($seconds)
            ));
        }
        $ms = ceil($seconds * 1000);
        if ($ms > 2147483647) {
            throw self::invalid(sprintf('The option "timeout" is too large (%s s; at most 2147483 s)', (string) $seconds));
        }
        return (int) $ms;
    }

    /** @param mixed $value */
    private static function show($value): string
    {
        return is_scalar($value) || $value === null ? var_export($value, true) : Values::describe($value);
    }

    private static function invalid(string $message): InvalidArgumentException
    {
        return new InvalidArgumentException($message, 'net.skypebus.Error.InvalidRequest', ResultCode::INVALID_REQUEST);
    }
}
