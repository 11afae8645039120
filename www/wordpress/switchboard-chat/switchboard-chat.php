<?php
/**
 * Plugin Name:       Switchboard Chat
 * Description:       Shows the Switchboard website chat on every page of your site. Enter your gateway address and widget ID under Settings → Switchboard Chat.
 * Version:           1.0.0
 * Requires at least: 5.7
 * Requires PHP:      7.2
 * Author:            Switchboard
 * License:           AGPL-3.0-or-later
 * License URI:       https://www.gnu.org/licenses/agpl-3.0.html
 * Text Domain:       switchboard-chat
 * Domain Path:       /languages
 *
 * @package SwitchboardChat
 */

defined( 'ABSPATH' ) || exit;

/** Name of the single option that holds both settings. */
const SWITCHBOARD_CHAT_OPTION = 'switchboard_chat';

/**
 * The saved settings, always with both keys.
 *
 * @return array{gateway: string, widget: string}
 */
function switchboard_chat_settings() {
	$saved = get_option( SWITCHBOARD_CHAT_OPTION, array() );
	$saved = is_array( $saved ) ? $saved : array();
	return array(
		'gateway' => isset( $saved['gateway'] ) ? (string) $saved['gateway'] : '',
		'widget'  => isset( $saved['widget'] ) ? (string) $saved['widget'] : '',
	);
}

/**
 * Loads the translations shipped in languages/ (compiled .mo files).
 */
function switchboard_chat_load_textdomain() {
	load_plugin_textdomain( 'switchboard-chat', false, dirname( plugin_basename( __FILE__ ) ) . '/languages' );
}
add_action( 'init', 'switchboard_chat_load_textdomain' );

/**
 * The shipped translation that stands in for a locale the plugin has no file for: every Spanish
 * locale WordPress offers (es_MX, es_AR, es_CO, es_CL, es_PE, es_VE, es_UY, es_EC, es_GT, es_CR,
 * es_DO, es_PR…) reads es_ES, and pt_PT (or any other Portuguese) reads pt_BR.
 *
 * @param string $locale A WordPress locale such as es_MX.
 * @return string The shipped locale, or '' when the language has no translation.
 */
function switchboard_chat_fallback_locale( $locale ) {
	$shipped  = array(
		'es' => 'es_ES',
		'pt' => 'pt_BR',
	);
	$language = strtolower( (string) strtok( (string) $locale, '_-' ) );
	return isset( $shipped[ $language ] ) ? $shipped[ $language ] : '';
}

/**
 * Points WordPress at a file that exists when it looks for this plugin's translation of a
 * locale: the plugin's own file for that locale if there is one, else the file of its language
 * (see switchboard_chat_fallback_locale()). Any other domain, and a file that exists (such as
 * one in wp-content/languages/plugins/), is left alone.
 *
 * @param string $mofile The .mo file WordPress is about to load.
 * @param string $domain Its text domain.
 * @return string
 */
function switchboard_chat_mofile( $mofile, $domain ) {
	if ( 'switchboard-chat' !== $domain || is_readable( $mofile ) ) {
		return $mofile;
	}
	$languages = __DIR__ . '/languages/';
	if ( is_readable( $languages . basename( $mofile ) ) ) {
		return $languages . basename( $mofile );
	}
	if ( ! preg_match( '/^switchboard-chat-([A-Za-z_]+)\.mo$/', basename( $mofile ), $found ) ) {
		return $mofile;
	}
	$fallback = switchboard_chat_fallback_locale( $found[1] );
	return '' === $fallback ? $mofile : $languages . 'switchboard-chat-' . $fallback . '.mo';
}
add_filter( 'load_textdomain_mofile', 'switchboard_chat_mofile', 10, 2 );

/**
 * Cleans what the settings form sends before WordPress stores it.
 *
 * The gateway address is reduced to its origin (scheme, host and port): the loader finds
 * everything else from there. The widget ID is plain text without spaces.
 *
 * @param mixed $input The submitted values.
 * @return array{gateway: string, widget: string}
 */
function switchboard_chat_sanitize( $input ) {
	$input = is_array( $input ) ? $input : array();
	$clean = switchboard_chat_settings(); // a rejected value keeps the saved one

	$raw = isset( $input['gateway'] ) ? trim( (string) $input['gateway'] ) : '';
	if ( '' !== $raw && false === strpos( $raw, '://' ) ) {
		$raw = 'https://' . $raw; // "chat.example.com" means https
	}
	$url = '' === $raw ? '' : esc_url_raw( $raw, array( 'https', 'http' ) );
	$parts = '' === $url ? array() : wp_parse_url( $url );
	if ( '' === $raw ) {
		$clean['gateway'] = '';
	} elseif ( empty( $parts['scheme'] ) || empty( $parts['host'] ) ) {
		add_settings_error( SWITCHBOARD_CHAT_OPTION, 'switchboard-chat-gateway', __( 'The gateway URL is not a valid web address. Example: https://chat.example.com', 'switchboard-chat' ) );
	} else {
		$scheme           = strtolower( $parts['scheme'] );
		$host             = strtolower( $parts['host'] );
		$clean['gateway'] = $scheme . '://' . $host . ( isset( $parts['port'] ) ? ':' . (int) $parts['port'] : '' );
		if ( 'http' === $scheme && ! in_array( $host, array( 'localhost', '127.0.0.1' ), true ) ) {
			add_settings_error( SWITCHBOARD_CHAT_OPTION, 'switchboard-chat-http', __( 'The gateway URL uses http://. Browsers block insecure content on https:// sites, so use https:// unless you are testing locally.', 'switchboard-chat' ), 'warning' );
		}
	}

	$widget          = isset( $input['widget'] ) ? sanitize_text_field( (string) $input['widget'] ) : '';
	$clean['widget'] = (string) preg_replace( '/\s+/', '', $widget );

	return $clean;
}

/**
 * Registers the option, the section and the two fields with the Settings API (which also
 * adds and checks the nonce of the form).
 */
function switchboard_chat_register_settings() {
	register_setting(
		'switchboard_chat',
		SWITCHBOARD_CHAT_OPTION,
		array(
			'type'              => 'array',
			'sanitize_callback' => 'switchboard_chat_sanitize',
			'default'           => array(
				'gateway' => '',
				'widget'  => '',
			),
		)
	);

	add_settings_section(
		'switchboard_chat_main',
		__( 'Website chat', 'switchboard-chat' ),
		'switchboard_chat_section_intro',
		'switchboard-chat'
	);

	add_settings_field(
		'switchboard_chat_gateway',
		__( 'Gateway URL', 'switchboard-chat' ),
		'switchboard_chat_field_gateway',
		'switchboard-chat',
		'switchboard_chat_main',
		array( 'label_for' => 'switchboard_chat_gateway' )
	);

	add_settings_field(
		'switchboard_chat_widget',
		__( 'Widget ID', 'switchboard-chat' ),
		'switchboard_chat_field_widget',
		'switchboard-chat',
		'switchboard_chat_main',
		array( 'label_for' => 'switchboard_chat_widget' )
	);
}
add_action( 'admin_init', 'switchboard_chat_register_settings' );

/**
 * Text above the fields.
 */
function switchboard_chat_section_intro() {
	echo '<p>' . esc_html__( 'Copy both values from your widget in Switchboard. The chat appears on every page of your site as soon as both fields are filled in and saved.', 'switchboard-chat' ) . '</p>';
}

/**
 * The gateway URL field.
 */
function switchboard_chat_field_gateway() {
	$settings = switchboard_chat_settings();
	printf(
		'<input type="url" id="switchboard_chat_gateway" name="%1$s[gateway]" value="%2$s" class="regular-text code" placeholder="https://chat.example.com" />',
		esc_attr( SWITCHBOARD_CHAT_OPTION ),
		esc_attr( $settings['gateway'] )
	);
	echo '<p class="description">' . esc_html__( 'The address of your Switchboard gateway, for example https://chat.example.com. Only the scheme, host and port are kept.', 'switchboard-chat' ) . '</p>';
}

/**
 * The widget ID field.
 */
function switchboard_chat_field_widget() {
	$settings = switchboard_chat_settings();
	printf(
		'<input type="text" id="switchboard_chat_widget" name="%1$s[widget]" value="%2$s" class="regular-text code" autocomplete="off" />',
		esc_attr( SWITCHBOARD_CHAT_OPTION ),
		esc_attr( $settings['widget'] )
	);
	echo '<p class="description">' . esc_html__( 'The value of data-widget in the snippet Switchboard shows for your widget.', 'switchboard-chat' ) . '</p>';
}

/**
 * Adds Settings → Switchboard Chat.
 */
function switchboard_chat_add_page() {
	add_options_page(
		__( 'Switchboard Chat', 'switchboard-chat' ),
		__( 'Switchboard Chat', 'switchboard-chat' ),
		'manage_options',
		'switchboard-chat',
		'switchboard_chat_render_page'
	);
}
add_action( 'admin_menu', 'switchboard_chat_add_page' );

/**
 * The settings page.
 */
function switchboard_chat_render_page() {
	if ( ! current_user_can( 'manage_options' ) ) {
		return;
	}
	$settings = switchboard_chat_settings();
	?>
	<div class="wrap">
		<h1><?php echo esc_html( get_admin_page_title() ); ?></h1>
		<?php if ( '' === $settings['gateway'] || '' === $settings['widget'] ) : ?>
			<div class="notice notice-info inline"><p><?php esc_html_e( 'The chat is not shown yet: fill in both fields.', 'switchboard-chat' ); ?></p></div>
		<?php else : ?>
			<div class="notice notice-success inline"><p><?php esc_html_e( 'The chat is shown on every page of your site. Open your site in a private window to check it.', 'switchboard-chat' ); ?></p></div>
		<?php endif; ?>
		<form action="options.php" method="post">
			<?php
			settings_fields( 'switchboard_chat' );
			do_settings_sections( 'switchboard-chat' );
			submit_button();
			?>
		</form>
		<p><?php esc_html_e( 'In Switchboard, the widget\'s list of allowed addresses must contain your site\'s address (for example both https://example.com and https://www.example.com if your site answers on both).', 'switchboard-chat' ); ?></p>
	</div>
	<?php
}

/**
 * A "Settings" link next to Deactivate on the Plugins screen.
 *
 * @param string[] $links The plugin's action links.
 * @return string[]
 */
function switchboard_chat_action_links( $links ) {
	$url = admin_url( 'options-general.php?page=switchboard-chat' );
	array_unshift( $links, '<a href="' . esc_url( $url ) . '">' . esc_html__( 'Settings', 'switchboard-chat' ) . '</a>' );
	return $links;
}
add_filter( 'plugin_action_links_' . plugin_basename( __FILE__ ), 'switchboard_chat_action_links' );

/**
 * Prints the snippet at the end of every public page, once both settings are filled in.
 */
function switchboard_chat_print_snippet() {
	$settings = switchboard_chat_settings();
	if ( '' === $settings['gateway'] || '' === $settings['widget'] || is_admin() ) {
		return;
	}
	$src = esc_url_raw( $settings['gateway'] . '/widget/loader.js', array( 'https', 'http' ) );
	if ( function_exists( 'wp_print_script_tag' ) ) {
		// wp_print_script_tag() escapes every value with esc_attr() and runs the wp_script_attributes
		// filter, so a security plugin can add its CSP nonce.
		wp_print_script_tag(
			array(
				'async'       => true,
				'src'         => $src,
				'data-widget' => $settings['widget'],
			)
		);
	} else {
		printf( "<script async src=\"%s\" data-widget=\"%s\"></script>\n", esc_url( $src ), esc_attr( $settings['widget'] ) );
	}
}
add_action( 'wp_footer', 'switchboard_chat_print_snippet', 100 );
