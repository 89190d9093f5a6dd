"""Word lists for the heuristic (no-spaCy) entity recogniser. Lower-case unless noted."""

from __future__ import annotations

from ._text import word_list


def _set(text: str) -> frozenset[str]:
    return frozenset(w.replace("_", " ") for w in text.split())


# Last word of a capitalised name that makes it an organisation.
ORG_SUFFIXES = _set(
    """inc inc. incorporated corp corp. corporation llc l.l.c. ltd ltd. limited plc gmbh ag sa
    co co. company companies group holdings partners associates agency administration
    association associations institute institutes university college school academy department
    ministry commission committee council board bureau office authority service services
    foundation fund trust society federation union league alliance coalition consortium
    organization organisation center centre laboratory laboratories labs bank bancorp
    hospital clinic network networks systems technologies pharmaceuticals pharma motors
    airlines airways press media news times journal party senate congress parliament court
    police army navy force corps guard reserve secretariat directorate division unit
    industries enterprises ventures"""
)
# First word of "<Head> of/for ..." organisation names.
ORG_HEADS = _set(
    """university department ministry bureau office board college institute school academy
    commission committee council center centre federation association society museum bank
    court house division agency administration"""
)
# Well-known organisations named without a suffix (case as written).
KNOWN_ORGS = frozenset(
    word_list(
        """
    FDA NIH CDC CMS HHS EPA NASA NOAA FBI CIA NSA DOJ DOD DOE USDA FTC SEC FCC FAA IRS OSHA
    NIST DARPA NSF USPTO GAO OMB WHO UN UNESCO UNICEF NATO OECD IMF WTO EU EMA ICH IEEE ISO
    ANSI MIT UCLA IBM AT&T Google Microsoft Apple Amazon Meta Facebook Netflix Intel Nvidia
    NVIDIA Oracle Pfizer Moderna Novartis Merck Boeing Airbus Tesla Toyota Samsung Sony
    Siemens Congress Senate Parliament
    """
    )
)
COUNTRIES = _set(
    """afghanistan albania algeria argentina armenia australia austria azerbaijan bahamas
    bangladesh belarus belgium bolivia bosnia brazil bulgaria cambodia cameroon canada chile
    china colombia croatia cuba cyprus czechia denmark ecuador egypt england estonia ethiopia
    finland france georgia germany ghana greece guatemala haiti honduras hungary iceland india
    indonesia iran iraq ireland israel italy jamaica japan jordan kazakhstan kenya korea kosovo
    kuwait laos latvia lebanon libya lithuania luxembourg madagascar malaysia mali malta mexico
    moldova mongolia montenegro morocco mozambique myanmar nepal netherlands nicaragua niger
    nigeria norway pakistan panama paraguay peru philippines poland portugal qatar romania
    russia rwanda scotland senegal serbia singapore slovakia slovenia somalia spain sri_lanka
    sudan sweden switzerland syria taiwan tanzania thailand tunisia turkey uganda ukraine
    uruguay uzbekistan venezuela vietnam wales yemen zambia zimbabwe united_states
    united_states_of_america united_kingdom great_britain britain america usa u.s. u.s.a. us
    uk u.k. uae united_arab_emirates saudi_arabia south_africa south_korea north_korea
    new_zealand costa_rica el_salvador dominican_republic czech_republic hong_kong puerto_rico"""
)
US_STATES = _set(
    """alabama alaska arizona arkansas california colorado connecticut delaware florida georgia
    hawaii idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts
    michigan minnesota mississippi missouri montana nebraska nevada new_hampshire new_jersey
    new_mexico new_york north_carolina north_dakota ohio oklahoma oregon pennsylvania
    rhode_island south_carolina south_dakota tennessee texas utah vermont virginia washington
    west_virginia wisconsin wyoming district_of_columbia washington_d.c."""
)
CITIES = _set(
    """london paris berlin madrid rome vienna amsterdam brussels dublin lisbon athens moscow
    beijing shanghai tokyo osaka seoul delhi new_delhi mumbai bangalore singapore sydney
    melbourne toronto vancouver montreal ottawa chicago boston seattle houston dallas austin
    denver atlanta miami phoenix philadelphia detroit baltimore portland san_francisco
    los_angeles san_diego san_jose las_vegas new_york_city new_orleans silver_spring
    bethesda rockville geneva zurich stockholm oslo copenhagen helsinki warsaw prague
    budapest istanbul cairo dubai nairobi lagos johannesburg cape_town mexico_city
    sao_paulo rio_de_janeiro buenos_aires lima bogota santiago"""
)
GPE = COUNTRIES | US_STATES | CITIES

LOC_SUFFIXES = _set(
    """river lake mountain mountains mountain_range ocean sea valley island islands bay desert
    forest peninsula gulf canyon coast plateau basin strait channel glacier falls"""
)
LOC_HEADS = _set("mount mt. lake gulf bay isle cape")
FAC_SUFFIXES = _set(
    """airport bridge tower building stadium highway station dam tunnel hall memorial terminal
    arena airfield port harbor harbour freeway interstate"""
)
EVENT_SUFFIXES = _set(
    """war conference summit olympics games festival expo championship symposium workshop
    forum fair marathon revolution show exhibition cup"""
)
LAW_SUFFIXES = _set("act amendment amendments treaty constitution regulation regulations directive statute")
NORP = _set(
    """american americans british french german germans italian spanish chinese japanese korean
    indian canadian mexican russian european europeans african asian australian brazilian dutch
    swiss swedish norwegian danish irish scottish polish greek turkish israeli arab arabic
    christian christians muslim muslims jewish catholic protestant buddhist hindu democrat
    democrats republican republicans democratic"""
)
# Honorifics stand before a single name ("Dr. Lee"); titles need two or more ("General Jane Doe").
HONORIFICS = word_list(
    """
    Mr Mrs Ms Miss Mx Dr Prof Professor Sir Dame Lord Lady Rev Fr Sen Rep Gov Judge
    """
)
TITLES = word_list(
    """
    Senator Representative Governor Pres President Gen General Col Colonel Capt Captain Lt
    Justice Commissioner Secretary Director Chairman Chairwoman Chair CEO Mayor
    """
)
FIRST_NAMES = _set(
    """james john robert michael william david richard joseph thomas charles christopher daniel
    matthew anthony mark donald steven paul andrew joshua kenneth kevin brian george timothy
    ronald edward jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin
    scott brandon benjamin samuel gregory alexander frank patrick raymond jack dennis jerry
    tyler aaron jose adam nathan henry peter zachary douglas harold kyle noah carl arthur
    lawrence albert sean christian austin joe ethan jesse willie billy bryan bruce jordan
    ralph roy alan wayne eugene juan gabriel louis russell randy vincent philip bobby johnny
    mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty
    margaret sandra ashley kimberly emily donna michelle carol amanda dorothy melissa deborah
    stephanie rebecca sharon laura cynthia kathleen amy angela shirley anna brenda pamela
    emma nicole helen samantha katherine christine debra rachel carolyn janet catherine maria
    heather diane ruth julie olivia joyce virginia victoria kelly lauren christina joan
    evelyn judith megan andrea cheryl hannah jacqueline martha gloria teresa ann sara
    madison frances kathryn janice jean abigail alice judy sophia grace denise amber doris
    marilyn danielle beverly isabella theresa diana natalie brittany charlotte marie kayla
    alexis lori jane anne robin claire ellen alex chris sam pat lee kim jamie taylor morgan"""
)
# Capitalised words that start sentences but are not part of a name.
LEADING_NOISE = _set(
    """yesterday today tomorrow tonight recently meanwhile additionally according however
    although because since while when where whereas moreover furthermore thus hence then
    also many most some several both each every all any dear hello hi thanks thank please
    monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december"""
)
# Words before a number that make "<Word> 4" a reference, not a product ("Section 4").
NOT_PRODUCT_WORDS = _set(
    """section sections figure fig table chapter part page pages article title appendix
    phase step level room vol volume item rule class type grade stage schedule exhibit
    annex paragraph clause note question unit lot batch number no round week day year
    month floor suite building route highway interstate amendment"""
)
