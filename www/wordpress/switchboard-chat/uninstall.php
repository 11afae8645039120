<?php
/**
 * Removes the plugin's settings when the plugin is deleted from the Plugins screen.
 *
 * @package SwitchboardChat
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

delete_option( 'switchboard_chat' );
