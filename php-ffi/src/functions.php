<?php

declare(strict_types=1);

// Functions of the SkypeBus namespace, loaded by Composer's "files" autoload on every request:
// declarations only, nothing here may touch FFI until a function is called.

namespace SkypeBus;

if (!function_exists('SkypeBus\skype_send_chat_message')) {
    /**
     * Sends a Skype chat message to the contact $handle in one call, on the session bus, and
     * returns the chat message id (such as "290"): attaches as $appName, sends, detaches.
     *
     *     SkypeBus\skype_send_chat_message('bob', 'Hello from PHP');
     *
     * @throws Exception\SkypeException code 68 when the user refused the application, or another
     *                                  Skype error code (43: empty text, ...)
     * @throws Exception\SkypeNotSignedInException when Skype is running but not signed in
     * @throws Exception\ServiceUnknownException when Skype is not running
     * @throws Exception\TimeoutException when the user did not allow the application in 25 s
     * @throws Exception\SkypeBusException for anything else (no session bus, bad arguments, ...)
     */
    function skype_send_chat_message(string $handle, string $text, string $appName = 'php'): string
    {
        $skype = Skype::attach(Bus::session(), $appName);
        try {
            return $skype->sendChatMessage($handle, $text);
        } finally {
            $skype->close();
        }
    }
}
