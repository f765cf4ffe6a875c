# SPDX-License-Identifier: MIT
# The completion logic, after the tables that gen-completion.sh wrote above
# it (this file alone is not the completion script).  It needs bash 4 and
# nothing of the bash-completion package, so that sourcing the generated
# file works anywhere.

# _naclemu_netns: the named network namespaces (/run/netns, as
# `ip netns list` reads it).
_naclemu_netns()
{
	local f
	for f in /run/netns/*; do
		[ -e "$f" ] && printf '%s\n' "${f##*/}"
	done
}

# _naclemu_ifaces [NETNS]: the interfaces of the caller's namespace, or of
# NETNS (a name or a path; entering it needs root, else nothing).
_naclemu_ifaces()
{
	local f
	if [ -z "$1" ]; then
		for f in /sys/class/net/*; do
			[ -e "$f" ] && printf '%s\n' "${f##*/}"
		done
	elif [[ $1 == */* ]]; then
		nsenter --net="$1" ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
	else
		ip -n "$1" -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
	fi
}

# _naclemu_value META CUR [NETNS]: fill COMPREPLY with the values of an
# option whose --help names its value META.
_naclemu_value()
{
	local meta=$1 cur=$2
	case $meta in
	NETNS)
		if [[ $cur == /* || $cur == .* ]]; then
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_naclemu_netns)" -- "$cur")
		fi ;;
	IF | IFACE | INTERFACE)
		mapfile -t COMPREPLY < <(compgen -W "$(_naclemu_ifaces "$3")" -- "$cur") ;;
	DIR)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
	FILE | PATH | CONFIG | RULES)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
	*'|'*)
		mapfile -t COMPREPLY < <(compgen -W "${meta//|/ }" -- "$cur") ;;
	*)
		COMPREPLY=() ;;	# a number, an address, a CIDR, an ID: nothing to offer
	esac
}

# _naclemu_meta CMD OPT: the METAVAR of CMD's option OPT, or nothing for an
# option without a value.
_naclemu_meta()
{
	local var=_naclemu_a_${1//-/_} i
	local -a pairs
	read -ra pairs <<<"${!var-}"
	for ((i = 0; i + 1 < ${#pairs[@]}; i += 2)); do
		if [ "${pairs[i]}" = "$2" ]; then
			printf '%s\n' "${pairs[i + 1]}"
			return
		fi
	done
}

_naclemu()
{
	local cur=${COMP_WORDS[COMP_CWORD]} cmd="" netns="" meta i w opt prefix
	local -a words=("${COMP_WORDS[@]:0:COMP_CWORD}")
	COMPREPLY=()

	# The command: the first word after the global options.
	for ((i = 1; i < ${#words[@]}; i++)); do
		w=${words[i]}
		if [[ $w != -* ]]; then
			cmd=$w
			break
		fi
	done
	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$_naclemu_globals" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$_naclemu_commands" -- "$cur")
		fi
		return 0
	fi
	case " $_naclemu_commands " in
	*" $cmd "*) ;;
	*) return 0 ;;
	esac

	# -n NETNS given earlier, for the interfaces of -i.
	for ((i = i + 1; i + 1 < ${#words[@]}; i++)); do
		case ${words[i]} in
		-n | --netns)
			netns=${words[i + 1]}
			# "--netns=NS", split at '=' by bash.
			[ "$netns" != = ] || netns=${words[i + 2]-} ;;
		--netns=*) netns=${words[i]#--netns=} ;;
		esac
	done

	# The value of an option: "-i CUR", "--interface CUR", and
	# "--interface=CUR", which bash splits into "--interface" "=" "CUR"
	# when COMP_WORDBREAKS holds '=' (its default).
	opt="" prefix=""
	if [ "$cur" = = ] && [ "${#words[@]}" -ge 1 ]; then
		opt=${words[-1]} cur=""
	elif [ "${#words[@]}" -ge 2 ] && [ "${words[-1]}" = = ]; then
		opt=${words[-2]}
	elif [[ $cur == --*=* ]]; then
		# One word when COMP_WORDBREAKS lacks '=': replies keep "OPT=".
		opt=${cur%%=*} cur=${cur#*=} prefix=${opt}=
	elif [ "${#words[@]}" -ge 1 ]; then
		opt=${words[-1]}
	fi
	if [[ $opt == -* ]]; then
		meta=$(_naclemu_meta "$cmd" "$opt")
		if [ -n "$meta" ]; then
			_naclemu_value "$meta" "$cur" "$netns"
			[ -z "$prefix" ] || COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
			return 0
		fi
	fi

	if [[ $cur == -* ]]; then
		local var=_naclemu_o_${cmd//-/_}
		mapfile -t COMPREPLY < <(compgen -W "${!var}" -- "$cur")
	else
		local var=_naclemu_p_${cmd//-/_}
		if [ -n "${!var}" ]; then
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi
	fi
	return 0
}
complete -F _naclemu naclemu
